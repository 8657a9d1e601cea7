import type { Metrics, PeriodFigures } from "@/api/client";

interface Row {
  label: string;
  value: (figures: PeriodFigures) => number | null;
  unit?: string;
}

const ROWS: Row[] = [
  { label: "Commits", value: (f) => f.commits },
  { label: "Authors", value: (f) => f.authors },
  { label: "Pull requests opened", value: (f) => f.prs_opened },
  { label: "Pull requests merged", value: (f) => f.prs_merged },
  { label: "Pull requests open at the end", value: (f) => f.prs_open_at_end },
  { label: "Stale pull requests", value: (f) => f.prs_stale },
  { label: "Issues opened", value: (f) => f.issues_opened },
  { label: "Issues closed", value: (f) => f.issues_closed },
  { label: "Releases", value: (f) => f.releases },
  { label: "Contributors", value: (f) => f.contributors },
  { label: "First-time contributors", value: (f) => f.first_time_contributors },
  { label: "Time to merge, median", value: (f) => f.time_to_merge_hours?.median ?? null, unit: "h" },
  { label: "Time to merge, 90th percentile", value: (f) => f.time_to_merge_hours?.p90 ?? null, unit: "h" },
  {
    label: "Time to first review, median",
    value: (f) => f.time_to_first_review_hours?.median ?? null,
    unit: "h",
  },
];

/** A figure, or "—" when the source cannot know it (null): never a made-up 0. */
export function formatFigure(value: number | null, unit?: string): string {
  if (value === null || !Number.isFinite(value)) return "—";
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value);
  return unit ? `${number} ${unit}` : number;
}

export function MetricsPanel({ metrics }: { metrics: Metrics }) {
  const previous = metrics.previous ?? null;
  return (
    <section aria-labelledby="metrics-title" className="rounded-xl border border-slate-200 bg-white shadow-sm">
      <h2 id="metrics-title" className="px-4 pt-4 text-base font-semibold text-slate-900">
        Numbers
      </h2>
      <p className="px-4 pb-2 text-xs text-slate-600">“—” means this source cannot tell.</p>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">This period compared with the previous one</caption>
        <thead className="border-y border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-4 py-2 font-medium">
              Figure
            </th>
            <th scope="col" className="px-4 py-2 text-right font-medium">
              This period
            </th>
            <th scope="col" className="px-4 py-2 text-right font-medium">
              Previous
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {ROWS.map((row) => (
            <tr key={row.label} data-testid="metric-row">
              <th scope="row" className="px-4 py-2 font-normal text-slate-700">
                {row.label}
              </th>
              <td className="px-4 py-2 text-right font-medium tabular-nums text-slate-900">
                {formatFigure(row.value(metrics), row.unit)}
              </td>
              <td className="px-4 py-2 text-right tabular-nums text-slate-600">
                {formatFigure(previous ? row.value(previous) : null, row.unit)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
