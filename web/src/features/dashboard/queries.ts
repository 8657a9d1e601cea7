import { queryOptions } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { components } from "@/api/schema";
import { orgKeys } from "@/features/orgs/queries";

type Schemas = components["schemas"];
export type Series = Schemas["Series"];
export type SeriesPoint = Schemas["Point"];
export type Summary = Schemas["Summary"];
export type GitHubBudget = Schemas["GitHubBudget"];
export type TokenBudget = Schemas["TokenBudget"];
export type Bucket = Series["bucket"];

/** Everything the dashboard reads lives under the org's key, so a change there refreshes it. */
// Read afresh on every visit (not the app's 10 s): a digest made on Monitors a moment ago
// must be in the charts, the attention list and the budget when the dashboard opens.
const FRESH = { staleTime: 0 } as const;

const dashboardKeys = {
  series: (slug: string, metric: string, bucket: Bucket, monitorId: string | null) =>
    ["org", slug, "analytics", metric, bucket, monitorId ?? "org"] as const,
  summary: (slug: string, days: number) => ["org", slug, "analytics-summary", days] as const,
  budget: (slug: string) => ["org", slug, "github-budget"] as const,
  // Under the digests' key: a new digest (run now) refreshes the list and the checklist.
  recent: (slug: string) => [...orgKeys.digests(slug), "recent"] as const,
};

/** One metric per week or month: the 12 buckets up to now, the current one included. */
export function seriesQuery(slug: string, metric: string, bucket: Bucket, monitorId: string | null) {
  return queryOptions({
    ...FRESH,
    queryKey: dashboardKeys.series(slug, metric, bucket, monitorId),
    queryFn: () =>
      unwrap(
        api.GET("/api/orgs/{org}/analytics", {
          params: {
            path: { org: slug },
            query: { metric, bucket, ...(monitorId ? { monitor_id: monitorId } : {}) },
          },
        }),
      ),
  });
}

/** The last `days` days against the days before, and what needs attention now. */
export function summaryQuery(slug: string, days = 7) {
  return queryOptions({
    ...FRESH,
    queryKey: dashboardKeys.summary(slug, days),
    queryFn: () =>
      unwrap(api.GET("/api/orgs/{org}/analytics/summary", { params: { path: { org: slug }, query: { days } } })),
  });
}

/** The GitHub tokens the org's monitors read with, and what GitHub last said of each one's budget. */
export function budgetQuery(slug: string) {
  return queryOptions({
    ...FRESH,
    queryKey: dashboardKeys.budget(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/analytics/github-budget", { params: { path: { org: slug } } })),
  });
}

export const RECENT_DIGESTS = 5;

/** The org's newest digests (their figures come from each one's detail). */
export function recentDigestsQuery(slug: string) {
  return queryOptions({
    ...FRESH,
    queryKey: dashboardKeys.recent(slug),
    queryFn: () =>
      unwrap(api.GET("/api/orgs/{org}/digests", { params: { path: { org: slug }, query: { limit: RECENT_DIGESTS } } })),
  });
}
