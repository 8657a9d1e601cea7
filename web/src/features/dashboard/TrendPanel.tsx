import { lazy, Suspense } from "react";
import { Link } from "react-router";

import type { Bucket } from "./queries";
import { bucketLabel, formatValue, hasNoFigures, type Line, type Unit } from "./series";

// The chart (and Recharts with it) is a chunk of its own, fetched when a chart has
// figures to draw: the checklist, the digests and what needs attention show before it.
const TrendChart = lazy(() => import("./TrendChart"));

export interface TrendPanelProps {
  id: string;
  title: string;
  lines: Line[];
  unit: Unit;
  bucket: Bucket;
  /** Where the org's monitors are, for the empty state's next step. */
  monitorsHref: string;
  /** Only GitHub knows the figure (pull requests, issues): a local git repository's digests leave it out. */
  githubOnly?: boolean;
}

const SPAN: Record<Bucket, string> = { week: "12 weeks", month: "12 months" };

/** One metric's trend: the chart, the same figures as a table, or what to do when there are none. */
export function TrendPanel({ id, title, lines, unit, bucket, monitorsHref, githubOnly = true }: TrendPanelProps) {
  const empty = lines.every((line) => hasNoFigures(line.points));
  return (
    <section
      aria-labelledby={id}
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
    >
      <h4 id={id} className="text-sm font-semibold text-slate-900">
        {title}
      </h4>
      {empty ? (
        <p className="rounded-lg border border-dashed border-slate-300 px-3 py-6 text-center text-sm text-slate-600">
          No digest of the last {SPAN[bucket]} has this figure yet.{" "}
          <Link to={monitorsHref} className="font-medium text-indigo-700 underline-offset-4 hover:underline">
            Run a monitor
          </Link>
          {githubOnly
            ? " of a GitHub repository to draw it (a local git repository has no pull requests or issues)."
            : " to draw it."}
        </p>
      ) : (
        <>
          <Suspense
            fallback={
              <p role="status" className="flex h-48 items-center justify-center text-sm text-slate-600">
                Drawing the chart…
              </p>
            }
          >
            <TrendChart lines={lines} unit={unit} bucket={bucket} />
          </Suspense>
          <FiguresTable title={title} lines={lines} unit={unit} bucket={bucket} />
        </>
      )}
    </section>
  );
}

/** The chart's figures for whoever cannot see it; a bucket without a figure says so (never 0). */
function FiguresTable({ title, lines, unit, bucket }: Pick<TrendPanelProps, "title" | "lines" | "unit" | "bucket">) {
  const buckets = lines[0]?.points ?? [];
  return (
    <details className="text-sm text-slate-700">
      <summary className="cursor-pointer text-xs font-medium text-slate-600">Figures as a table</summary>
      <div className="mt-2 overflow-x-auto">
        <table className="w-full text-left text-xs">
          <caption className="sr-only">
            {title}, per {bucket}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="py-1 pr-2 font-medium">
                {bucket === "week" ? "Week of" : "Month"}
              </th>
              {lines.map((line) => (
                <th key={line.key} scope="col" className="py-1 pr-2 font-medium">
                  {line.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {buckets.map((point, index) => (
              <tr key={point.start} className="border-t border-slate-100">
                <th scope="row" className="py-1 pr-2 font-normal">
                  {bucketLabel(point.start, bucket)}
                </th>
                {lines.map((line) => {
                  const value = line.points[index]?.value ?? null;
                  return (
                    <td key={line.key} className="py-1 pr-2 tabular-nums">
                      {value === null ? "no figure" : formatValue(value, unit)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
