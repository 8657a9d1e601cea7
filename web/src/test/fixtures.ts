import type {
  ApiKey,
  AuditEvent,
  Channel,
  ChannelRef,
  Credential,
  DeliveryAttempt,
  DeliveryStatus,
  DigestDetail,
  DigestItems,
  DigestSummary,
  Invite,
  Me,
  Member,
  Metrics,
  Monitor,
  Org,
  OrgToken,
  PeriodFigures,
  Run,
  Section,
  ServerInfo,
} from "@/api/client";

import { json } from "./render";

export const ME: Me = {
  id: "00000000-0000-4000-8000-000000000001",
  login: "mona",
  name: "Mona Lisa",
  email: "mona@example.com",
  avatar_url: "https://avatars.example.test/u/1",
  is_admin: false,
  created_at: "2025-01-02T03:04:05Z",
  github: null,
};

export const signedIn = () => json(ME);

/** A member's GitHub connection as the API shows it: whose, and the token's last characters. */
export function aCredential(overrides: Partial<Credential> = {}): Credential {
  return {
    user_id: ME.id,
    login: ME.login,
    token_hint: "…AbCd",
    private_access: true,
    usable: true,
    ...overrides,
  };
}

/** A GitHub token as `/api/orgs/{org}/github-tokens` lists it: by default yours, offered to the org. */
export function aToken(overrides: Partial<OrgToken> = {}): OrgToken {
  return { ...aCredential(), offered: true, mine: true, ...overrides };
}

/** `/api/server` of a server with GitHub sign-in and a model, and no local sources. */
export function aServer(overrides: Partial<ServerInfo> = {}): ServerInfo {
  return { version: "1.0.0", github_sign_in: true, local_sources: false, llm_writer: true, ...overrides };
}

export const ALL_SECTIONS: Section[] = [
  "shipped",
  "in_review",
  "needs_attention",
  "issues",
  "releases",
  "new_contributors",
  "numbers",
];

export function anOrg(overrides: Partial<Org> = {}): Org {
  return {
    id: "00000000-0000-4000-8000-0000000000a1",
    name: "Acme",
    slug: "acme",
    role: "owner",
    created_at: "2025-01-02T03:04:05Z",
    deleted_at: null,
    ...overrides,
  };
}

export function aMember(overrides: Partial<Member> = {}): Member {
  return {
    user_id: ME.id,
    login: ME.login,
    name: ME.name,
    email: ME.email,
    avatar_url: null,
    role: "owner",
    joined_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

export function anInvite(overrides: Partial<Invite> = {}): Invite {
  return {
    id: "00000000-0000-4000-8000-0000000000c1",
    role: "member",
    email: null,
    invited_by: ME.login,
    status: "pending",
    created_at: "2025-01-02T03:04:05Z",
    expires_at: "2025-01-09T03:04:05Z",
    ...overrides,
  };
}

export function anApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: "00000000-0000-4000-8000-0000000000d1",
    name: "CI",
    role: "viewer",
    hint: "isk_AbCd",
    created_by: ME.login,
    created_at: "2025-01-02T03:04:05Z",
    last_used_at: null,
    ...overrides,
  };
}

export function anAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: "00000000-0000-4000-8000-0000000000e1",
    action: "org.create",
    actor: { type: "user", id: ME.id, label: ME.login },
    target: { type: "org", id: "00000000-0000-4000-8000-0000000000a1", label: "Acme" },
    details: { name: "Acme" },
    ip: "127.0.0.1",
    user_agent: "Mozilla/5.0",
    created_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

export function aMonitor(overrides: Partial<Monitor> = {}): Monitor {
  return {
    id: "00000000-0000-4000-8000-0000000000f1",
    name: "widgets",
    source: "acme/widgets",
    source_kind: "github",
    repositories: ["acme/widgets"],
    github_owner: null,
    credential: aCredential(),
    sections: [...ALL_SECTIONS],
    extra_bots: [],
    include_bots: false,
    skip_empty: false,
    include_pr_descriptions: false,
    writer: "auto",
    stale_days: 3,
    paused: false,
    last_run_at: null,
    last_run_status: null,
    last_run_error: null,
    created_at: "2025-01-02T03:04:05Z",
    schedule: { kind: "manual", timezone: "UTC", description: "Manual only" },
    next_run_at: null,
    channels: [],
    last_digest: null,
    last_run: null,
    ...overrides,
  };
}

/** A run of the monitor `aMonitor` makes, queued by hand. */
export function aRun(overrides: Partial<Run> = {}): Run {
  return {
    id: "00000000-0000-4000-8000-000000000071",
    monitor_id: "00000000-0000-4000-8000-0000000000f1",
    state: "queued",
    trigger: "manual",
    period: { since: "2025-01-06T00:00:00Z", until: "2025-01-13T00:00:00Z" },
    digest_id: null,
    error: null,
    attempts: 0,
    periods: 1,
    created_at: "2025-01-13T00:00:00Z",
    finished_at: null,
    ...overrides,
  };
}

/** A delivery of a digest to a channel, by default delivered at the first attempt. */
export function aDelivery(overrides: Partial<DeliveryStatus> = {}): DeliveryStatus {
  return {
    id: "00000000-0000-4000-8000-000000000081",
    digest_id: "00000000-0000-4000-8000-0000000000b1",
    state: "delivered",
    attempts: 1,
    last_status: 200,
    last_error: null,
    created_at: "2025-01-13T00:05:00Z",
    delivered_at: "2025-01-13T00:05:01Z",
    next_attempt_at: null,
    ...overrides,
  };
}

/** A Slack channel as `/api/orgs/{org}/channels` lists it: a hint, never the URL. */
export function aChannel(overrides: Partial<Channel> = {}): Channel {
  return {
    id: "00000000-0000-4000-8000-000000000091",
    kind: "slack",
    name: "#eng-digest",
    hint: "hooks.slack.com/…XyZ9",
    addresses: [],
    disabled: false,
    disabled_at: null,
    disabled_reason: null,
    monitor_ids: [],
    last_delivery: null,
    created_at: "2025-01-02T03:04:05Z",
    ...overrides,
  };
}

/** A channel as a monitor lists it. */
export function aChannelRef(overrides: Partial<ChannelRef> = {}): ChannelRef {
  const { id, kind, name, disabled, disabled_reason } = aChannel();
  return { id, kind, name, disabled, disabled_reason, last_delivery: null, ...overrides };
}

/** A row of a channel's delivery log. */
export function anAttempt(overrides: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return {
    id: "00000000-0000-4000-8000-0000000000a9",
    created_at: "2025-01-13T00:05:01Z",
    outcome: "delivered",
    status: 200,
    error: null,
    duration_ms: 120,
    delivery_id: "00000000-0000-4000-8000-000000000081",
    digest_id: "00000000-0000-4000-8000-0000000000b1",
    ...overrides,
  };
}

export function aDigestSummary(overrides: Partial<DigestSummary> = {}): DigestSummary {
  return {
    id: "00000000-0000-4000-8000-0000000000b1",
    monitor_id: "00000000-0000-4000-8000-0000000000f1",
    monitor_name: null,
    period: { since: "2025-01-06T00:00:00Z", until: "2025-01-13T00:00:00Z" },
    writer: "builtin",
    trigger: "manual",
    triggered_by: ME.login,
    created_at: "2025-01-13T00:05:00Z",
    headline: "5 pull requests merged (↑2 from 3), against the previous period.",
    figures: WEEK_FIGURES,
    ...overrides,
  };
}

/** The figures of `GITHUB_METRICS`' week, as the digest list gives them. */
const WEEK_FIGURES: PeriodFigures = {
  commits: 14,
  authors: 4,
  prs_opened: 6,
  prs_merged: 5,
  prs_closed_unmerged: 1,
  prs_open_at_end: 3,
  prs_stale: 1,
  issues_opened: 2,
  issues_closed: 4,
  releases: 1,
  contributors: 5,
  first_time_contributors: 1,
  time_to_merge_hours: { median: 20.5, p90: 70 },
  time_to_first_review_hours: { median: 3.25 },
};

/** A week of a GitHub repository, with the week before. */
export const GITHUB_METRICS: Metrics = {
  schema: 1,
  commits: 14,
  authors: 4,
  prs_opened: 6,
  prs_merged: 5,
  prs_closed_unmerged: 1,
  prs_open_at_end: 3,
  prs_stale: 1,
  issues_opened: 2,
  issues_closed: 4,
  releases: 1,
  contributors: 5,
  first_time_contributors: 1,
  time_to_merge_hours: { median: 20.5, p90: 70 },
  time_to_first_review_hours: { median: 3.25 },
  previous: {
    commits: 9,
    authors: 3,
    prs_opened: 4,
    prs_merged: 3,
    prs_closed_unmerged: 0,
    prs_open_at_end: 2,
    prs_stale: 0,
    issues_opened: 1,
    issues_closed: 1,
    releases: 0,
    contributors: 3,
    first_time_contributors: 0,
    time_to_merge_hours: { median: 30, p90: 48 },
    time_to_first_review_hours: { median: 5 },
  },
};

export const NO_ITEMS: DigestItems = {
  merged: [],
  opened: [],
  in_review: [],
  stale: [],
  biggest: [],
  reviewers: [],
  issues_opened: [],
  issues_closed: [],
  releases: [],
  new_contributors: [],
  commits: [],
  changes_requested: [],
  unanswered_issues: [],
  direct_commits: [],
  direct_commit_kinds: [],
  bot_updates: [],
};

export function aDigest(overrides: Partial<DigestDetail> = {}): DigestDetail {
  return {
    ...aDigestSummary(),
    repository: {
      kind: "github",
      name: "acme/widgets",
      url: "https://github.com/acme/widgets",
      revision: "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    },
    writer_note: null,
    text: "# widgets\n",
    metrics: GITHUB_METRICS,
    items: NO_ITEMS,
    grounding: null,
    rendered: { html: "<h1>widgets</h1>", slack: [], discord: [] },
    ...overrides,
  };
}
