import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type MonitorCreate, type MonitorUpdate, type RunDigest } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export function monitorsQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.monitors(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/monitors", { params: { path: { org: slug } } })),
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

/** Makes a digest now; a 409 carries the reason it could not be made. */
export function useRunDigest(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: ({ id, body = { since: "7d" } }: { id: string; body?: RunDigest }) =>
      unwrap(
        api.POST("/api/orgs/{org}/monitors/{monitor_id}/digests", {
          params: { path: { org: slug, monitor_id: id } },
          body,
        }),
      ),
    onSuccess: invalidate,
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
