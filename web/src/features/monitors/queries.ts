import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type Monitor, type MonitorCreate, type MonitorUpdate, type Run, type RunDigest } from "@/api/client";
import { unwrap } from "@/api/errors";
import { deliveryInFlight } from "@/features/channels/describe";
import { orgKeys } from "@/features/orgs/queries";

/** How often a page looks again while a run or a delivery it shows is still under way. */
export const POLL_MS = 1000;
const DELIVERY_POLL_MS = 2000;

/** Whether a monitor shows something that changes by itself soon: a run, or a delivery being sent or retried. */
function stillMoving(monitors: Monitor[] | undefined): boolean {
  return (monitors ?? []).some(
    (monitor) =>
      (monitor.last_run !== null && !runFinished(monitor.last_run)) || monitor.channels.some(deliveryInFlight),
  );
}

export function monitorsQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.monitors(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/monitors", { params: { path: { org: slug } } })),
    // A delivery on its way shows "delivered" (or why not) without a reload.
    refetchInterval: (query) => (stillMoving(query.state.data) ? DELIVERY_POLL_MS : false),
  });
}

/** The schedule in words and its next three runs, as the server computes them. */
export function schedulePreviewQuery(slug: string, query: Record<string, string>, enabled: boolean) {
  return queryOptions({
    queryKey: orgKeys.schedulePreview(slug, query),
    queryFn: () =>
      unwrap(api.GET("/api/orgs/{org}/monitors/schedule-preview", { params: { path: { org: slug }, query } })),
    enabled,
    retry: false,
    staleTime: 30_000,
    placeholderData: keepPreviousData,
  });
}

export function runFinished(run: Run | undefined): boolean {
  return run !== undefined && run.state !== "queued" && run.state !== "running";
}

/** A run's state, read every second until it is done, failed or skipped. */
export function runQuery(slug: string, monitorId: string, runId: string) {
  return queryOptions({
    queryKey: orgKeys.run(slug, runId),
    queryFn: () =>
      unwrap(
        api.GET("/api/orgs/{org}/monitors/{monitor_id}/runs/{run_id}", {
          params: { path: { org: slug, monitor_id: monitorId, run_id: runId } },
        }),
      ),
    refetchInterval: (query) => (runFinished(query.state.data) ? false : POLL_MS),
    staleTime: 0,
  });
}

/**
 * The GitHub tokens this org's monitors may read with: those its members offered to it, and
 * your own (offered or not, `mine`). Whose, never the token.
 */
export function githubTokensQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.githubTokens(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/github-tokens", { params: { path: { org: slug } } })),
  });
}

/** After any change in the org, everything of it (monitors, digests, audit log) is stale. */
function useInvalidateOrg(slug: string) {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) });
}

export function useCreateMonitor(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (body: MonitorCreate) =>
      unwrap(api.POST("/api/orgs/{org}/monitors", { params: { path: { org: slug } }, body })),
    onSuccess: invalidate,
  });
}

export function useUpdateMonitor(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: MonitorUpdate }) =>
      unwrap(
        api.PATCH("/api/orgs/{org}/monitors/{monitor_id}", {
          params: { path: { org: slug, monitor_id: id } },
          body,
        }),
      ),
    onSuccess: invalidate,
  });
}

export function useDeleteMonitor(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/orgs/{org}/monitors/{monitor_id}", { params: { path: { org: slug, monitor_id: id } } })),
    onSuccess: invalidate,
  });
}

/**
 * Queues a digest run now (202): the answer is the run, which `runQuery` follows until it is
 * done. A 409 carries the reason it could not even be queued (that period has a digest).
 */
export function useRunDigest(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body = { since: "7d" } }: { id: string; body?: RunDigest }) =>
      unwrap(
        api.POST("/api/orgs/{org}/monitors/{monitor_id}/digests", {
          params: { path: { org: slug, monitor_id: id } },
          body,
        }),
      ) as Promise<Run>,
    onSuccess: (run) => queryClient.setQueryData(orgKeys.run(slug, run.id), run),
  });
}

/** Offers your connected GitHub token to the org, so its monitors may read with it. */
export function useOfferMyToken(slug: string) {
  const queryClient = useQueryClient();
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: () => unwrap(api.PUT("/api/orgs/{org}/github-tokens/mine", { params: { path: { org: slug } } })),
    onSuccess: (tokens) => {
      queryClient.setQueryData(orgKeys.githubTokens(slug), tokens);
      invalidate();
    },
  });
}

/** Withdraws your token from the org: the monitors reading with it let go of it (so they refetch too). */
export function useWithdrawMyToken(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/orgs/{org}/github-tokens/mine", { params: { path: { org: slug } } })),
    onSuccess: invalidate,
  });
}
