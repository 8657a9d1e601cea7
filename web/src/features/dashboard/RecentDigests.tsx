import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import type { DigestSummary, Metrics, Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { periodLabel } from "@/features/digests/period";
import { digestQuery } from "@/features/digests/queries";
import { formatDateTime } from "@/lib/format";

import { recentDigestsQuery } from "./queries";
import { formatValue } from "./series";

const LINK = "font-medium text-indigo-700 underline-offset-4 hover:underline wrap-anywhere";

/** A digest's headline numbers; a figure its source cannot know (null) is left out, never shown as 0. */
export function headlineNumbers(metrics: Metrics): string[] {
  const figures: string[] = [];
  const count = (value: number | null | undefined, one: string, many: string) => {
    if (value === null || value === undefined) return;
    figures.push(`${value.toLocaleString()} ${value === 1 ? one : many}`);
  };
  count(metrics.prs_merged, "pull request merged", "pull requests merged");
  count(metrics.issues_opened, "issue opened", "issues opened");
  count(metrics.issues_closed, "issue closed", "issues closed");
  count(metrics.commits, "commit", "commits");
  const merge = metrics.time_to_merge_hours?.median;
  if (merge !== null && merge !== undefined) figures.push(`merged in ${formatValue(merge, "hours")} (median)`);
  return figures;
}

export function RecentDigests({ org }: { org: Org }) {
  const recent = useQuery(recentDigestsQuery(org.slug));
  const base = `/orgs/${org.slug}`;
  return (
    <section
      aria-labelledby="recent-title"
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id="recent-title" className="text-lg font-semibold text-slate-900">
          Recent digests
        </h3>
        {recent.data && recent.data.items.length > 0 && (
          <Link
            to={`${base}/digests`}
            className="text-sm font-medium text-indigo-700 underline-offset-4 hover:underline"
          >
            All digests
          </Link>
        )}
      </div>
      {recent.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading digests…
        </p>
      )}
      {recent.isError && <ErrorMessage error={recent.error} />}
      {recent.data && recent.data.items.length === 0 && (
        <p className="text-sm text-slate-600" data-testid="recent-empty">
          No digests yet.{" "}
          <Link to={`${base}/monitors`} className={LINK}>
            Add a monitor and run it
          </Link>
          : its digest shows here, and every scheduled one after it.
        </p>
      )}
      {recent.data && recent.data.items.length > 0 && <DigestList slug={org.slug} digests={recent.data.items} />}
    </section>
  );
}

function DigestList({ slug, digests }: { slug: string; digests: DigestSummary[] }) {
  // The list names no figures; each digest's own page has them (five small reads).
  const details = useQueries({ queries: digests.map((digest) => digestQuery(slug, digest.id)) });
  return (
    <ul aria-label="Recent digests" className="flex flex-col divide-y divide-slate-100">
      {digests.map((digest, index) => {
        const detail = details[index]?.data;
        const numbers = detail ? headlineNumbers(detail.metrics) : [];
        return (
          <li key={digest.id} data-testid="recent-digest" className="flex min-w-0 flex-col gap-0.5 py-2">
            <Link to={`/orgs/${slug}/digests/${digest.id}`} className={LINK}>
              {digest.monitor_name ?? "A deleted monitor"}, {periodLabel(digest.period)}
            </Link>
            <p className="text-sm text-slate-700 wrap-anywhere" data-testid="headline-numbers">
              {detail ? numbers.join(" · ") || "A quiet period." : "…"}
            </p>
            <p className="text-xs text-slate-500">Made {formatDateTime(digest.created_at)}</p>
          </li>
        );
      })}
    </ul>
  );
}
