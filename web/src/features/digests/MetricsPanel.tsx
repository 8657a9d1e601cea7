import type { DigestDetail } from "@/api/client";

type Figures = Record<string, unknown>;

interface Row {
  label: string;
  value: (figures: Figures) => unknown;
  unit?: string;
}

function nested(key: string, inner: string) {
  return (figures: Figures) => {
    const group = figures[key];
    return typeof group === "object" && group !== null ? (group as Figures)[inner] : null;
  };
}

const plain = (key: string) => (figures: Figures) => figures[key];

const ROWS: Row[] = [
  { label: "Commits", value: plain("commits") },
  { label: "Authors", value: plain("authors") },
  { label: "Pull requests opened", value: plain("prs_opened") },
  { label: "Pull requests merged", value: plain("prs_merged") },
  { label: "Pull requests open at the end", value: plain("prs_open_at_end") },
  { label: "Stale pull requests", value: plain("prs_stale") },
  { label: "Issues opened", value: plain("issues_opened") },
  { label: "Issues closed", value: plain("issues_closed") },
  { label: "Releases", value: plain("releases") },
  { label: "Contributors", value: plain("contributors") },
  { label: "First-time contributors", value: plain("first_time_contributors") },
  { label: "Time to merge, median", value: nested("time_to_merge_hours", "median"), unit: "h" },
  { label: "Time to merge, 90th percentile", value: nested("time_to_merge_hours", "p90"), unit: "h" },
  { label: "Time to first review, median", value: nested("time_to_first_review_hours", "median"), unit: "h" },
];

/** A figure, or "—" when the source cannot know it (null): never a made-up 0. */
export function formatFigure(value: unknown, unit?: string): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value);
  return unit ? `${number} ${unit}` : number;
}

export function MetricsPanel({ metrics }: { metrics: DigestDetail["metrics"] }) {
  const previous =
    typeof metrics.previous === "object" && metrics.previous !== null ? (metrics.previous as Figures) : null;
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
