import type {
  Credential,
  Me,
  Monitor,
  MonitorCreate,
  MonitorUpdate,
  OrgToken,
  Section,
  WriterChoice,
} from "@/api/client";

import {
  newSchedule,
  type ScheduleDraft,
  sameSchedule,
  scheduleBody,
  scheduleDraftOf,
  scheduleProblem,
} from "./schedule";

/** The parts of a digest, in the order a digest shows them. */
export const SECTIONS: readonly { value: Section; label: string; short: string }[] = [
  { value: "shipped", label: "Shipped (merged pull requests; commits of a local repository)", short: "Shipped" },
  {
    value: "in_review",
    label: "Needs attention: pull requests waiting for a first review, or with changes requested",
    short: "Pull requests needing attention",
  },
  {
    value: "needs_attention",
    label: "Needs attention: all of it (pull requests and unanswered issues)",
    short: "Needs attention",
  },
  {
    value: "issues",
    label: "Needs attention: issues no one has answered yet",
    short: "Unanswered issues",
  },
  { value: "releases", label: "Releases", short: "Releases" },
  { value: "new_contributors", label: "New contributors", short: "New contributors" },
  { value: "numbers", label: "Numbers", short: "Numbers" },
];

/** What a monitor follows: one repository, a list of GitHub repositories, or an owner's. */
export type Follow = "one" | "several" | "owner";

export const FOLLOW_CHOICES: readonly { value: Follow; label: string }[] = [
  { value: "one", label: "One repository" },
  { value: "several", label: "Several GitHub repositories" },
  { value: "owner", label: "All of a GitHub owner's repositories" },
];

export const WRITER_CHOICES: readonly { value: WriterChoice; label: string; short: string }[] = [
  { value: "auto", label: "Automatic", short: "automatic" },
  { value: "builtin", label: "Builtin writer (no AI)", short: "builtin" },
  { value: "llm", label: "AI model (LLM)", short: "AI model" },
];

export const STALE_DAYS = { min: 1, max: 30, default: 3 } as const;

/**
 * What the monitor form holds. Fields are kept as typed (text stays text) so a save the
 * server refuses leaves every keystroke in place.
 */
export interface MonitorDraft {
  follow: Follow;
  source: string;
  /** owner/repo names separated by commas, spaces or lines. */
  repositories: string;
  owner: string;
  /** fnmatch patterns on the repository name, separated by commas or spaces. */
  include: string;
  exclude: string;
  name: string;
  /** A member's user id; "" leaves the token as it is (a new monitor: yours, if connected). */
  credentialUserId: string;
  sections: Section[];
  /** Bot names separated by commas or spaces. */
  extraBots: string;
  includeBots: boolean;
  skipEmpty: boolean;
  includePrDescriptions: boolean;
  writer: WriterChoice;
  staleDays: string;
  paused: boolean;
  schedule: ScheduleDraft;
  /** The channels its digests go to. */
  channelIds: string[];
}

/** A new monitor: the server's defaults, every section on. */
export const NEW_MONITOR: MonitorDraft = {
  follow: "one",
  source: "",
  repositories: "",
  owner: "",
  include: "*",
  exclude: "",
  name: "",
  credentialUserId: "",
  sections: SECTIONS.map((section) => section.value),
  extraBots: "",
  includeBots: false,
  skipEmpty: false,
  includePrDescriptions: false,
  writer: "auto",
  staleDays: String(STALE_DAYS.default),
  paused: false,
  schedule: newSchedule(),
  channelIds: [],
};

/** The form's starting point for editing `monitor`. */
export function draftOf(monitor: Monitor): MonitorDraft {
  const owner = monitor.github_owner;
  const repositories = monitor.repositories ?? [];
  return {
    follow: owner ? "owner" : repositories.length > 1 ? "several" : "one",
    source: monitor.source,
    repositories: repositories.join("\n"),
    owner: owner?.owner ?? "",
    include: (owner?.include ?? ["*"]).join(", "),
    exclude: (owner?.exclude ?? []).join(", "),
    name: monitor.name,
    credentialUserId: monitor.credential?.user_id ?? "",
    sections: monitor.sections,
    extraBots: monitor.extra_bots.join(", "),
    includeBots: monitor.include_bots,
    skipEmpty: monitor.skip_empty,
    includePrDescriptions: monitor.include_pr_descriptions,
    writer: monitor.writer,
    staleDays: String(monitor.stale_days),
    paused: monitor.paused,
    schedule: scheduleDraftOf(monitor.schedule),
    channelIds: monitor.channels.map((channel) => channel.id),
  };
}

/**
 * Whether the server will read `source` as a local path rather than GitHub's owner/repo
 * (the rules of `parse_source` in infrasync/sources/service.py), so the form asks for a
 * GitHub token only when one is used.
 */
export function looksLocal(source: string): boolean {
  const value = source.trim();
  if (value.startsWith("github:") || /^https?:\/\//i.test(value)) return false;
  if (value.startsWith("git:") || value.startsWith("file://")) return true;
  return (
    value === "." ||
    value === ".." ||
    /^(\/|\.\/|\.\.\/|~|\\)/.test(value) ||
    (value.match(/\//g) ?? []).length > 1 ||
    (value.length > 1 && value[1] === ":")
  );
}

/** "renovate-bot, ci-helper" → ["renovate-bot", "ci-helper"], each once. */
export function botNames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** Names or patterns typed with commas, spaces or line breaks between them, each once. */
export const listed = botNames;

/** What the draft asks the server to follow, as the API names it. */
function followed(draft: MonitorDraft): Pick<MonitorCreate, "source" | "repositories" | "github_owner"> {
  if (draft.follow === "several") return { repositories: listed(draft.repositories) };
  if (draft.follow === "owner") {
    const include = listed(draft.include);
    return {
      github_owner: {
        owner: draft.owner.trim(),
        include: include.length > 0 ? include : ["*"],
        exclude: listed(draft.exclude),
      },
    };
  }
  return { source: draft.source.trim() };
}

/** Whether the draft reads GitHub (and so needs a token). */
export function readsGitHub(draft: MonitorDraft): boolean {
  return draft.follow !== "one" || !looksLocal(draft.source);
}

/** A problem the form can name before asking the server, or null. */
export function draftProblem(draft: MonitorDraft, editing: boolean): string | null {
  if (!editing && draft.follow === "one" && draft.source.trim() === "") {
    return "Give the repository to watch, as owner/repo or an absolute local path.";
  }
  if (draft.follow === "several") {
    const names = listed(draft.repositories);
    if (names.length === 0) return "Give the repositories to watch, as owner/repo, one per line.";
    const local = names.find((name) => looksLocal(name));
    if (local)
      return `${local}: several repositories are GitHub's (owner/repo); a local repository needs a monitor of its own.`;
  }
  if (draft.follow === "owner" && draft.owner.trim() === "") {
    return "Give the GitHub user or organization whose repositories to watch.";
  }
  if (editing && draft.name.trim() === "") return "Give the monitor a name.";
  const days = Number(draft.staleDays);
  if (!Number.isInteger(days) || days < STALE_DAYS.min || days > STALE_DAYS.max) {
    return `Stale after: a whole number of days from ${STALE_DAYS.min} to ${STALE_DAYS.max}.`;
  }
  return scheduleProblem(draft.schedule);
}

/** Sections in the order a digest shows them, whatever order they were ticked in. */
function orderedSections(sections: Section[]): Section[] {
  return SECTIONS.map((section) => section.value).filter((value) => sections.includes(value));
}

export function createBody(draft: MonitorDraft): MonitorCreate {
  const body: MonitorCreate = {
    ...followed(draft),
    sections: orderedSections(draft.sections),
    extra_bots: botNames(draft.extraBots),
    include_bots: draft.includeBots,
    skip_empty: draft.skipEmpty,
    include_pr_descriptions: draft.includePrDescriptions,
    writer: draft.writer,
    stale_days: Number(draft.staleDays),
    paused: draft.paused,
    schedule: scheduleBody(draft.schedule),
    channel_ids: draft.channelIds,
  };
  if (draft.name.trim()) body.name = draft.name.trim();
  // Left out, the server uses the creator's own token; a local repository needs none.
  if (draft.credentialUserId && readsGitHub(draft)) body.credential_user_id = draft.credentialUserId;
  return body;
}

/** The repositories an edit sends: only for a monitor of several, and only when changed. */
function followChange(initial: MonitorDraft, draft: MonitorDraft): MonitorUpdate {
  if (draft.follow === "one") return {};
  const before = followed(initial);
  const now = followed(draft);
  if (draft.follow === initial.follow && JSON.stringify(before) === JSON.stringify(now)) return {};
  return draft.follow === "several" ? { repositories: now.repositories } : { github_owner: now.github_owner };
}

/** Only what changed, so a save never undoes someone else's change to another field. */
export function updateBody(initial: MonitorDraft, draft: MonitorDraft): MonitorUpdate {
  const body: MonitorUpdate = followChange(initial, draft);
  if (draft.name.trim() !== initial.name) body.name = draft.name.trim();
  // "" is only ever the monitor's own current choice (no token, or a former member's).
  if (draft.credentialUserId !== initial.credentialUserId && draft.credentialUserId) {
    body.credential_user_id = draft.credentialUserId;
  }
  const sections = orderedSections(draft.sections);
  if (sections.join() !== orderedSections(initial.sections).join()) body.sections = sections;
  const bots = botNames(draft.extraBots);
  if (bots.join() !== botNames(initial.extraBots).join()) body.extra_bots = bots;
  if (draft.includeBots !== initial.includeBots) body.include_bots = draft.includeBots;
  if (draft.skipEmpty !== initial.skipEmpty) body.skip_empty = draft.skipEmpty;
  if (draft.includePrDescriptions !== initial.includePrDescriptions) {
    body.include_pr_descriptions = draft.includePrDescriptions;
  }
  if (draft.writer !== initial.writer) body.writer = draft.writer;
  if (Number(draft.staleDays) !== Number(initial.staleDays)) body.stale_days = Number(draft.staleDays);
  if (draft.paused !== initial.paused) body.paused = draft.paused;
  if (!sameSchedule(draft.schedule, initial.schedule)) body.schedule = scheduleBody(draft.schedule);
  if ([...draft.channelIds].sort().join() !== [...initial.channelIds].sort().join())
    body.channel_ids = draft.channelIds;
  return body;
}

/** "bea · …WxYz · private access", "carl · …Qr12 · no longer works". */
export function tokenLabel(credential: Credential): string {
  return [
    credential.login ?? "a former member",
    credential.token_hint,
    credential.private_access ? "private access" : "public repositories",
    ...(credential.usable ? [] : ["no longer works"]),
  ].join(" · ");
}

export interface TokenChoice {
  value: string;
  label: string;
  disabled: boolean;
}

/** "Your token: mona · …AbCd · private access". */
function myTokenLabel(credential: Credential): string {
  return `Your token: ${tokenLabel(credential)}`;
}

/**
 * The "whose GitHub token" options: your own first, then those other members offered to the
 * org (the server lists nothing else, and accepts nothing else). For a new monitor "" means
 * your own token (the server's default); when editing, "" or an id no longer listed is the
 * monitor's current token, kept unless another is picked. A token that no longer works is
 * marked, and cannot be picked anew.
 */
export function tokenChoices(
  tokens: readonly OrgToken[],
  me: Me | null | undefined,
  editing: Monitor | null,
): TokenChoice[] {
  const mine = tokens.find((token) => token.mine);
  const offered = tokens.filter((token) => token.offered && !token.mine && token.user_id);
  const pickable = (credential: Credential, label = tokenLabel(credential)): TokenChoice => ({
    value: credential.user_id ?? "",
    label,
    disabled: !credential.usable && credential.user_id !== editing?.credential?.user_id,
  });
  if (!editing) {
    // Before the org's list arrives, /api/me already says whether you have a token.
    const own = mine ?? (me?.github ? { ...me.github, login: me.login } : null);
    return [
      { value: "", label: own ? myTokenLabel(own) : "None yet: runs need a connected GitHub token", disabled: false },
      ...offered.map((token) => pickable(token)),
    ];
  }
  const listed = [...(mine ? [mine] : []), ...offered];
  const current = editing.credential;
  const kept: TokenChoice[] = listed.some((token) => current?.user_id && token.user_id === current.user_id)
    ? []
    : [
        {
          value: current?.user_id ?? "",
          label: current
            ? `${tokenLabel(current)} (current)`
            : "None yet: runs need a connected GitHub token (current)",
          disabled: false,
        },
      ];
  return [
    ...kept,
    ...(mine?.user_id ? [pickable(mine, myTokenLabel(mine))] : []),
    ...offered.map((token) => pickable(token)),
  ];
}

/**
 * Whether saving with `value` chosen offers your token to the org: you chose your own (for
 * a new monitor, "" is yours), it works, it is not offered yet, and it is a change.
 */
export function savingOffersMine(tokens: readonly OrgToken[], editing: Monitor | null, value: string): boolean {
  const mine = tokens.find((token) => token.mine);
  if (!mine?.user_id || mine.offered || !mine.usable) return false;
  if (!editing) return value === "" || value === mine.user_id;
  return value === mine.user_id && editing.credential?.user_id !== mine.user_id;
}

/** How a monitor is set up, in one line: "All sections · writer: automatic · stale after 3 days". */
export function settingsSummary(monitor: Monitor): string {
  const sections = SECTIONS.filter((section) => monitor.sections.includes(section.value));
  const writer = WRITER_CHOICES.find((choice) => choice.value === monitor.writer);
  return [
    sections.length === SECTIONS.length
      ? "All sections"
      : sections.length === 0
        ? "No sections (summary only)"
        : `Sections: ${sections.map((section) => section.short).join(", ")}`,
    `writer: ${writer ? writer.short : monitor.writer}`,
    `stale after ${monitor.stale_days} ${monitor.stale_days === 1 ? "day" : "days"}`,
    ...(monitor.include_bots ? ["bots counted"] : []),
    ...(monitor.extra_bots.length > 0 ? [`extra bots: ${monitor.extra_bots.join(", ")}`] : []),
    ...(monitor.skip_empty ? ["skips empty digests"] : []),
    ...(monitor.include_pr_descriptions ? ["AI reads PR descriptions"] : []),
  ].join(" · ");
}

/**
 * What a monitor of several repositories follows, in one line: "3 repositories: acme/api,
 * acme/web, acme/docs" or "2 repositories of acme matching api-*, web (not *-old)".
 */
export function followedSummary(monitor: Monitor): string {
  const count = monitor.repositories.length;
  const repositories = `${count} ${count === 1 ? "repository" : "repositories"}`;
  const owner = monitor.github_owner;
  if (!owner) return `${repositories}: ${monitor.repositories.join(", ")}`;
  const include = (owner.include ?? ["*"]).join(", ");
  const exclude = owner.exclude?.length ? ` (not ${owner.exclude.join(", ")})` : "";
  return `${repositories} of ${owner.owner} matching ${include}${exclude}`;
}
