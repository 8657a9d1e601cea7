/**
 * The digest list's filters as the page's URL keeps them (`?monitor=…&from=2026-11-02&to=2026-11-08`),
 * so a filtered list can be reloaded, shared and gone back to. Dates are whole UTC days, as the
 * digests' periods are, and `to` includes its day.
 */
export interface DigestFilters {
  monitor: string | null;
  from: string | null;
  to: string | null;
}

/** What the API is asked: digests of `monitor_id` whose period overlaps [since, until). */
export interface DigestListQuery {
  monitor_id?: string;
  since?: string;
  until?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function validDay(value: string | null): string | null {
  if (!value || !DAY.test(value)) return null;
  const parsed = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value ? null : value;
}

export function filtersFromSearch(search: URLSearchParams): DigestFilters {
  return {
    monitor: search.get("monitor") || null,
    from: search.get("from") || null,
    to: search.get("to") || null,
  };
}

/** The URL's query for `filters`: empty ones are left out, so an unfiltered list has none. */
export function searchOfFilters(filters: DigestFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.monitor) search.set("monitor", filters.monitor);
  if (filters.from) search.set("from", filters.from);
  if (filters.to) search.set("to", filters.to);
  return search;
}

/** A sentence saying what to fix in the filters, or null when the API can be asked. */
export function filterProblem(filters: DigestFilters): string | null {
  if (filters.from && !validDay(filters.from)) return `“From” must be a date such as 2026-11-02.`;
  if (filters.to && !validDay(filters.to)) return `“To” must be a date such as 2026-11-08.`;
  if (filters.from && filters.to && filters.from > filters.to) {
    return "“From” is after “To”: pick a start on or before the end.";
  }
  return null;
}

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** The API's query for valid `filters` (check `filterProblem` first). */
export function listQuery(filters: DigestFilters): DigestListQuery {
  const query: DigestListQuery = {};
  if (filters.monitor) query.monitor_id = filters.monitor;
  const from = validDay(filters.from);
  const to = validDay(filters.to);
  if (from) query.since = `${from}T00:00:00Z`;
  // The last day counts whole: the period ends at the next midnight.
  if (to) query.until = `${nextDay(to)}T00:00:00Z`;
  return query;
}
