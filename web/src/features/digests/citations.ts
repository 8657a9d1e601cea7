import type { components } from "@/api/schema";

type Schemas = components["schemas"];
type Pull = Schemas["PullItem"];
type Issue = Schemas["IssueItem"];
type Release = Schemas["ReleaseItem"];
type Commit = Schemas["CommitItem"];
type Contributor = Schemas["ContributorItem"];
type Reviewer = Schemas["ReviewerItem"];

/** What a cited id stands for: a label to show, a link when the item has one (http(s) only). */
export interface CitedSource {
  label: string;
  title: string | null;
  url: string | null;
}

/**
 * The lists of a digest's items, as far as the page needs them. Loose on purpose: a digest
 * made before a list existed lacks it, and one across several repositories nests its
 * items under `repositories`.
 */
export interface ItemLists {
  merged?: Pull[];
  opened?: Pull[];
  in_review?: Pull[];
  stale?: Pull[];
  biggest?: Pull[];
  changes_requested?: Pull[];
  issues_opened?: Issue[];
  issues_closed?: Issue[];
  unanswered_issues?: Issue[];
  releases?: Release[];
  commits?: Commit[];
  direct_commits?: Commit[];
  new_contributors?: Contributor[];
  reviewers?: Reviewer[];
  repositories?: { repository: { name: string }; items: ItemLists }[];
}

const WEB_LINK = /^https?:\/\//i;

/** The names of the figures a sentence may cite, as the Numbers panel calls them. */
const FIGURES: Record<string, string> = {
  commits: "Commits",
  authors: "Authors",
  prs_opened: "Pull requests opened",
  prs_merged: "Pull requests merged",
  prs_closed_unmerged: "Pull requests closed unmerged",
  prs_open_at_end: "Pull requests open at the end",
  prs_stale: "Stale pull requests",
  issues_opened: "Issues opened",
  issues_closed: "Issues closed",
  releases: "Releases",
  contributors: "Contributors",
  first_time_contributors: "First-time contributors",
  time_to_merge_hours: "Time to merge",
  time_to_first_review_hours: "Time to first review",
};

function webLink(url: string | null | undefined): string | null {
  return url && WEB_LINK.test(url.trim()) ? url : null;
}

/**
 * Each id the AI writer may cite, mapped to its item. The ids are the server's
 * (writers/llm.py `item_id`): `pr:12`, `issue:45`, `release:v1.2`, `commit:1a2b3c4`,
 * `person:ada`; in a digest across several repositories `pr:owner/repo#12`,
 * `issue:owner/repo#45`, `release:owner/repo@v1.2`, `commit:owner/repo@1a2b3c4`.
 */
export function citationSources(items: ItemLists): Map<string, CitedSource> {
  const sources = new Map<string, CitedSource>();
  const put = (id: string, source: CitedSource) => {
    const known = sources.get(id);
    if (!known || (!known.url && source.url)) sources.set(id, source);
  };
  const walk = (lists: ItemLists, repository: string | null) => {
    const number = (kind: string, n: number) => (repository ? `${kind}:${repository}#${n}` : `${kind}:${n}`);
    const at = (kind: string, value: string) => (repository ? `${kind}:${repository}@${value}` : `${kind}:${value}`);
    const prefix = repository ? `${repository}` : "";
    const pulls = [lists.merged, lists.opened, lists.in_review, lists.stale, lists.biggest, lists.changes_requested];
    for (const pull of pulls.flatMap((list) => list ?? [])) {
      put(number("pr", pull.number), { label: `${prefix}#${pull.number}`, title: pull.title, url: webLink(pull.url) });
    }
    for (const issue of [lists.issues_opened, lists.issues_closed, lists.unanswered_issues].flatMap((l) => l ?? [])) {
      put(number("issue", issue.number), {
        label: `${prefix}#${issue.number}`,
        title: issue.title,
        url: webLink(issue.url),
      });
    }
    for (const release of lists.releases ?? []) {
      put(at("release", release.tag), { label: release.tag, title: release.name ?? null, url: webLink(release.url) });
    }
    for (const commit of [lists.commits, lists.direct_commits].flatMap((l) => l ?? [])) {
      const sha = commit.sha.slice(0, 7);
      put(at("commit", sha), { label: sha, title: commit.message.split("\n")[0] ?? null, url: webLink(commit.url) });
    }
    for (const person of lists.new_contributors ?? []) {
      put(`person:${person.name}`, { label: person.name, title: "New contributor", url: webLink(person.url) });
    }
    for (const reviewer of lists.reviewers ?? []) {
      put(`person:${reviewer.login}`, { label: reviewer.login, title: `${reviewer.reviews} reviews`, url: null });
    }
    for (const part of lists.repositories ?? []) walk(part.items, part.repository.name);
  };
  walk(items, null);
  return sources;
}

/** A cited id as the page shows it: its item, a figure, or an id the digest does not hold. */
export function describeCitation(
  id: string,
  sources: Map<string, CitedSource>,
): CitedSource & { kind: "item" | "figure" | "unknown" } {
  const source = sources.get(id);
  if (source) return { ...source, kind: "item" };
  if (id.startsWith("metric:")) {
    // `metric:prs_merged`, or `metric:owner/repo:prs_merged` across several repositories.
    const rest = id.slice("metric:".length);
    const cut = rest.lastIndexOf(":");
    const [repository, key] = cut >= 0 ? [rest.slice(0, cut), rest.slice(cut + 1)] : [null, rest];
    const figure = FIGURES[key] ?? key;
    return {
      label: `${repository ? `${figure} (${repository})` : figure}, a figure`,
      title: null,
      url: null,
      kind: "figure",
    };
  }
  return { label: id, title: "Not an item of this digest", url: null, kind: "unknown" };
}
