import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";

import { ErrorMessage } from "@/components/ErrorMessage";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { monitorsQuery } from "@/features/monitors/queries";
import { useCurrentOrg } from "@/features/orgs/OrgLayout";
import { formatDateTime } from "@/lib/format";

import { periodLabel } from "./period";
import { digestsQuery } from "./queries";

export function DigestsPage() {
  const org = useCurrentOrg();
  const [search] = useSearchParams();
  const monitorId = search.get("monitor");
  const digests = useInfiniteQuery(digestsQuery(org.slug, monitorId));
  // A digest names its monitor by id only; the org's monitors give the names.
  const monitors = useQuery(monitorsQuery(org.slug));
  const names = new Map(monitors.data?.map((m) => [m.id, m.name]));
  const items = digests.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section aria-labelledby="digests-title" className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <h2 id="digests-title" className="text-xl font-semibold text-slate-900">
          Digests
        </h2>
        <p className="text-sm text-slate-600">What happened in {org.name}&apos;s repositories, newest first.</p>
      </div>
      {monitorId && (
        <p className="text-sm text-slate-700" data-testid="digest-filter">
          Only the digests of {names.get(monitorId) ?? "one monitor"}.{" "}
          <Link
            to={`/orgs/${org.slug}/digests`}
            className="font-medium text-indigo-700 underline-offset-4 hover:underline"
          >
            Show all
          </Link>
        </p>
      )}
      {digests.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading digests…
        </p>
      )}
      {digests.isError && <ErrorMessage error={digests.error} />}
      {digests.isSuccess && items.length === 0 && (
        <p className="rounded-xl border border-dashed border-slate-300 bg-white px-5 py-8 text-center text-sm text-slate-600">
          No digests yet. Run a monitor to make one.
        </p>
      )}
      {items.length > 0 && (
        <ul
          aria-label={`Digests of ${org.name}`}
          className="flex flex-col divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white shadow-sm"
        >
          {items.map((digest) => {
            const period = periodLabel(digest.period);
            const monitor = names.get(digest.monitor_id) ?? (monitors.isPending ? "…" : "A deleted monitor");
            return (
              <li
                key={digest.id}
                data-testid="digest-row"
                className="flex flex-wrap items-center justify-between gap-2 px-4 py-3"
              >
                <div className="flex min-w-0 flex-col">
                  <Link
                    to={`/orgs/${org.slug}/digests/${digest.id}`}
                    className="font-medium text-indigo-700 underline-offset-4 hover:underline"
                  >
                    {monitor}, {period}
                  </Link>
                  <span className="text-xs text-slate-600">
                    Made {formatDateTime(digest.created_at)}
                    {digest.triggered_by ? ` by ${digest.triggered_by}` : ""}
                  </span>
                </div>
                <Badge variant="secondary">{digest.writer === "llm" ? "LLM writer" : "Builtin writer"}</Badge>
              </li>
            );
          })}
        </ul>
      )}
      {digests.hasNextPage && (
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
