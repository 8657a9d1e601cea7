import type { Bucket, SeriesPoint } from "./queries";

const weekLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const monthLabel = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });

/** A bucket by its first day, in UTC like the buckets themselves ("Nov 2", "Nov 2026"). */
export function bucketLabel(start: string, bucket: Bucket): string {
  const date = new Date(start);
  if (Number.isNaN(date.getTime())) return start;
  return (bucket === "week" ? weekLabel : monthLabel).format(date);
}

export type Unit = "count" | "people" | "hours";

/** A figure as people read it: whole counts, hours to one decimal (days past two days). */
export function formatValue(value: number, unit: Unit): string {
  if (unit !== "hours") return Math.round(value).toLocaleString();
  if (value >= 48) return `${(value / 24).toFixed(1)} d`;
  return `${value.toFixed(1)} h`;
}

/** True when no bucket has a figure: nothing to draw (a 0 is a figure; only null is not). */
export function hasNoFigures(points: SeriesPoint[]): boolean {
  return points.every((point) => point.value === null);
}

/** One line of a chart: its name and its buckets (the same buckets for every line). */
export interface Line {
  key: string;
  label: string;
  points: SeriesPoint[];
}

/** The rows a chart draws: one per bucket, each line's value or null (a gap, never a 0). */
export function chartRows(lines: Line[], bucket: Bucket): Record<string, string | number | null>[] {
  const first = lines[0]?.points ?? [];
  return first.map((point, index) => {
    const row: Record<string, string | number | null> = { label: bucketLabel(point.start, bucket) };
    for (const line of lines) row[line.key] = line.points[index]?.value ?? null;
    return row;
  });
}
