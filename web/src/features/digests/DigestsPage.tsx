import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useSearchParams } from "react-router";

import type { DigestSummary, PeriodFigures } from "@/api/client";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { monitorsQuery } from "@/features/monitors/queries";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDateTime } from "@/lib/format";

import { type DigestFilters, filterProblem, filtersFromSearch, listQuery, searchOfFilters } from "./filters";
import { periodLabel } from "./period";
import { digestsQuery } from "./queries";

/** The figures a row shows, when the source knows them (a local repository has no pull requests). */
const ROW_FIGURES: { key: keyof PeriodFigures; one: string; many: string }[] = [
  { key: "commits", one: "commit", many: "commits" },
  { key: "prs_merged", one: "pull request merged", many: "pull requests merged" },
  { key: "issues_closed", one: "issue closed", many: "issues closed" },
  { key: "releases", one: "release", many: "releases" },
  { key: "contributors", one: "contributor", many: "contributors" },
];

export function rowFigures(figures: PeriodFigures): string[] {
  return ROW_FIGURES.flatMap(({ key, one, many }) => {
    const value = figures[key];
    if (typeof value !== "number") return [];
    return [`${new Intl.NumberFormat().format(value)} ${value === 1 ? one : many}`];
  });
}

export function DigestsPage() {
  const org = useCurrentOrg();
  const [search, setSearch] = useSearchParams();
  const filters = filtersFromSearch(search);
  const problem = filterProblem(filters);
  const digests = useInfiniteQuery({ ...digestsQuery(org.slug, listQuery(filters)), enabled: problem === null });
  // A deleted monitor has no name in the digest; the org's monitors give the rest.
  const monitors = useQuery(monitorsQuery(org.slug));
  const names = new Map(monitors.data?.map((m) => [m.id, m.name]));
  const items = digests.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(filters.monitor || filters.from || filters.to);

  const change = (next: Partial<DigestFilters>) => setSearch(searchOfFilters({ ...filters, ...next }));

  return (
    <section aria-labelledby="digests-title" className="flex min-w-0 flex-col gap-4">
      <div className="flex flex-col gap-1">
        <h2 id="digests-title" className="text-xl font-semibold text-slate-900">
          Digests
        </h2>
        <p className="break-words text-sm text-slate-600">
          What happened in {org.name}&apos;s repositories, newest first.
        </p>
      </div>
      <FilterForm
        filters={filters}
        monitors={monitors.data ?? []}
        onChange={change}
        onClear={() => setSearch(new URLSearchParams())}
      />
      {problem && (
        <p role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      )}
      {!problem && digests.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading digests…
        </p>
      )}
      {digests.isError && !digests.isFetchNextPageError && <ErrorMessage error={digests.error} />}
      {!problem && digests.isSuccess && items.length === 0 && (
        <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
          {filtered ? "No digest matches these filters." : "No digests yet. Run a monitor to make one."}
        </p>
      )}
      {!problem && items.length > 0 && (
        <ul
          aria-label={`Digests of ${org.name}`}
          className="flex flex-col divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm"
        >
          {items.map((digest) => (
            <DigestRow
              key={digest.id}
              digest={digest}
              slug={org.slug}
              monitor={
                digest.monitor_name ?? names.get(digest.monitor_id) ?? (monitors.isPending ? "…" : "A deleted monitor")
              }
            />
          ))}
        </ul>
      )}
      {!problem && digests.hasNextPage && (
        <div>
          <Button variant="outline" onClick={() => void digests.fetchNextPage()} disabled={digests.isFetchingNextPage}>
            {digests.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
      {digests.isFetchNextPageError && <ErrorMessage error={digests.error} />}
    </section>
  );
}

function DigestRow({ digest, slug, monitor }: { digest: DigestSummary; slug: string; monitor: string }) {
  const figures = rowFigures(digest.figures);
  return (
    <li data-testid="digest-row" className="flex min-w-0 flex-col gap-1 px-4 py-3">
      <Link
        to={`/orgs/${slug}/digests/${digest.id}`}
        className="break-words font-medium text-indigo-700 underline-offset-4 hover:underline [overflow-wrap:anywhere]"
      >
        {monitor}, {periodLabel(digest.period)}
      </Link>
      {digest.headline && (
        <p data-testid="digest-headline" className="break-words text-sm text-slate-800 [overflow-wrap:anywhere]">
          {digest.headline}
        </p>
      )}
      {figures.length > 0 && (
        <ul aria-label="Figures" data-testid="digest-figures" className="flex flex-wrap gap-x-3 gap-y-0.5 text-xs">
          {figures.map((figure) => (
            <li key={figure} className="text-slate-700">
              {figure}
            </li>
          ))}
        </ul>
      )}
      <span className="break-words text-xs text-slate-600 [overflow-wrap:anywhere]">
        Made {formatDateTime(digest.created_at)}
        {digest.triggered_by ? ` by ${digest.triggered_by}` : ""} · {digest.writer === "llm" ? "AI" : "builtin"} writer
      </span>
    </li>
  );
}

interface FilterFormProps {
  filters: DigestFilters;
  monitors: { id: string; name: string }[];
  onChange: (next: Partial<DigestFilters>) => void;
  onClear: () => void;
}

/** Each change goes straight into the URL, which the list is read from. */
function FilterForm({ filters, monitors, onChange, onClear }: FilterFormProps) {
  const id = useId();
  const known = !filters.monitor || monitors.some((m) => m.id === filters.monitor);
  return (
    <form
      aria-label="Filter digests"
      className="grid min-w-0 gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)_auto] sm:items-end"
      onSubmit={(event) => event.preventDefault()}
    >
      <div className="flex min-w-0 flex-col gap-1.5">
        <Label htmlFor={`${id}-monitor`}>Monitor</Label>
        <select
          id={`${id}-monitor`}
          value={filters.monitor ?? ""}
          onChange={(event) => onChange({ monitor: event.target.value || null })}
          className="h-9 w-full min-w-0 truncate rounded-md border border-slate-300 bg-white px-2 text-sm"
        >
          <option value="">All monitors</option>
          {!known && filters.monitor && <option value={filters.monitor}>A monitor no longer listed</option>}
          {monitors.map((monitor) => (
            <option key={monitor.id} value={monitor.id}>
              {monitor.name}
            </option>
          ))}
        </select>
      </div>
      <div className="flex min-w-0 flex-col gap-1.5">
        <Label htmlFor={`${id}-from`}>From</Label>
        <Input
          id={`${id}-from`}
          type="date"
          value={filters.from ?? ""}
          onChange={(event) => onChange({ from: event.target.value || null })}
        />
      </div>
      <div className="flex min-w-0 flex-col gap-1.5">
        <Label htmlFor={`${id}-to`}>To</Label>
        <Input
          id={`${id}-to`}
          type="date"
          value={filters.to ?? ""}
          onChange={(event) => onChange({ to: event.target.value || null })}
        />
      </div>
      <Button
        type="button"
        variant="outline"
        onClick={onClear}
        disabled={!filters.monitor && !filters.from && !filters.to}
      >
        Show all
      </Button>
      <p className="text-xs text-slate-600 sm:col-span-4">Digests whose period overlaps the dates (UTC) are listed.</p>
    </form>
  );
}
