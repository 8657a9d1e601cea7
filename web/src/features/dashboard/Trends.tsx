import { useQueries, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";

import type { Org } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { monitorsQuery } from "@/features/monitors/queries";

import { type Bucket, seriesQuery } from "./queries";
import type { Line, Unit } from "./series";
import { TrendPanel } from "./TrendPanel";

interface Trend {
  id: string;
  title: string;
  unit: Unit;
  metrics: { metric: string; label: string }[];
  githubOnly?: boolean;
}

// The trends; medians come from the API's weighted medians, never averaged here.
const TRENDS: Trend[] = [
  { id: "merged", title: "Merged pull requests", unit: "count", metrics: [{ metric: "prs_merged", label: "Merged" }] },
  {
    id: "merge-time",
    title: "Time to merge (median)",
    unit: "hours",
    metrics: [{ metric: "time_to_merge_hours.median", label: "Time to merge" }],
  },
  {
    id: "review-time",
    title: "Time to first review (median)",
    unit: "hours",
    metrics: [{ metric: "time_to_first_review_hours.median", label: "Time to first review" }],
  },
  {
    id: "issues",
    title: "Issues opened and closed",
    unit: "count",
    metrics: [
      { metric: "issues_opened", label: "Opened" },
      { metric: "issues_closed", label: "Closed" },
    ],
  },
  // The one figure a local git repository has too (it has no pull requests or issues).
  {
    id: "commits",
    title: "Commits",
    unit: "count",
    metrics: [{ metric: "commits", label: "Commits" }],
    githubOnly: false,
  },
];

export function Trends({ org }: { org: Org }) {
  const [bucket, setBucket] = useState<Bucket>("week");
  const [monitorId, setMonitorId] = useState<string | null>(null);
  const monitors = useQuery(monitorsQuery(org.slug));
  const spanId = useId();
  const monitorFieldId = useId();

  return (
    <section aria-labelledby="trends-title" className="flex min-w-0 flex-col gap-3">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-end sm:justify-between">
        <h3 id="trends-title" className="text-lg font-semibold text-slate-900">
          Trends
        </h3>
        <div className="flex min-w-0 flex-col gap-2 sm:flex-row sm:items-end">
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={spanId} className="text-xs font-medium text-slate-700">
              Period
            </label>
            <select
              id={spanId}
              value={bucket}
              onChange={(event) => setBucket(event.target.value === "month" ? "month" : "week")}
              className="h-9 rounded-md border border-slate-300 bg-white px-2 text-sm"
            >
              <option value="week">Last 12 weeks</option>
              <option value="month">Last 12 months</option>
            </select>
          </div>
          <div className="flex min-w-0 flex-col gap-1">
            <label htmlFor={monitorFieldId} className="text-xs font-medium text-slate-700">
              Monitor
            </label>
            {/* A 200-character monitor name would widen a native select past a phone's width. */}
            <select
              id={monitorFieldId}
              value={monitorId ?? ""}
              onChange={(event) => setMonitorId(event.target.value || null)}
              className="h-9 w-full min-w-0 max-w-full truncate rounded-md border border-slate-300 bg-white px-2 text-sm sm:w-64"
            >
              <option value="">The whole org</option>
              {monitors.data?.map((monitor) => (
                <option key={monitor.id} value={monitor.id}>
                  {monitor.name}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      <div className="grid min-w-0 grid-cols-1 gap-4 lg:grid-cols-2">
        {TRENDS.map((trend) => (
          <TrendCard key={trend.id} trend={trend} org={org} bucket={bucket} monitorId={monitorId} />
        ))}
      </div>
    </section>
  );
}

function TrendCard({
  trend,
  org,
  bucket,
  monitorId,
}: {
  trend: Trend;
  org: Org;
  bucket: Bucket;
  monitorId: string | null;
}) {
  const results = useQueries({
    queries: trend.metrics.map(({ metric }) => seriesQuery(org.slug, metric, bucket, monitorId)),
  });
  const failed = results.find((result) => result.isError);
  if (failed) {
    return (
      <section aria-labelledby={`trend-${trend.id}`} className="flex min-w-0 flex-col gap-2">
        <h4 id={`trend-${trend.id}`} className="text-sm font-semibold text-slate-900">
          {trend.title}
        </h4>
        <ErrorMessage error={failed.error} />
      </section>
    );
  }
  if (results.some((result) => result.isPending)) {
    return (
      <p role="status" className="rounded-xl border border-slate-200 bg-white p-4 text-sm text-slate-600">
        Loading {trend.title.toLowerCase()}…
      </p>
    );
  }
  const lines: Line[] = trend.metrics.map(({ metric, label }, index) => ({
    key: metric.replaceAll(".", "_"),
    label,
    points: results[index]?.data?.points ?? [],
  }));
  return (
    <TrendPanel
      id={`trend-${trend.id}`}
      title={trend.title}
      lines={lines}
      unit={trend.unit}
      bucket={bucket}
      monitorsHref={`/orgs/${org.slug}/monitors`}
      githubOnly={trend.githubOnly ?? true}
    />
  );
}
