import type { DigestSummary } from "@/api/client";
import { formatDate } from "@/lib/format";

/** "Nov 22, 2026 – Nov 29, 2026": a digest's window, its end exclusive. */
export function periodLabel(period: DigestSummary["period"]): string {
  const until = new Date(period.until);
  // A window up to midnight ends on the day before.
  const midnight =
    until.getUTCHours() === 0 && until.getUTCMinutes() === 0 && until.getUTCSeconds() === 0 && until.getTime() > 0;
  const last = midnight ? new Date(until.getTime() - 1).toISOString() : period.until;
  return `${formatDate(period.since)} – ${formatDate(last)}`;
}
