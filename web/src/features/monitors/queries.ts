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

/** The members who connected GitHub: whose token a monitor may read with (never the token). */
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
