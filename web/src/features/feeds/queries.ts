import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";

export const feedKeys = {
  list: (slug: string) => ["org", slug, "feeds"] as const,
};

/** The org's feeds that are on, with token hints only (admins and up). */
export function feedsQuery(slug: string) {
  return queryOptions({
    queryKey: feedKeys.list(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/feeds", { params: { path: { org: slug } } })),
  });
}

function useFeedMutation<T>(slug: string, send: (monitorId: string) => Promise<T>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: feedKeys.list(slug) }),
  });
}

export function useEnableFeed(slug: string) {
  return useFeedMutation(slug, (monitorId) =>
    unwrap(api.PUT("/api/orgs/{org}/feeds/{monitor_id}", { params: { path: { org: slug, monitor_id: monitorId } } })),
  );
}

export function useRotateFeed(slug: string) {
  return useFeedMutation(slug, (monitorId) =>
    unwrap(
      api.POST("/api/orgs/{org}/feeds/{monitor_id}/rotate", {
        params: { path: { org: slug, monitor_id: monitorId } },
      }),
    ),
  );
}

export function useDisableFeed(slug: string) {
  return useFeedMutation(slug, (monitorId) =>
    unwrap(
      api.DELETE("/api/orgs/{org}/feeds/{monitor_id}", { params: { path: { org: slug, monitor_id: monitorId } } }),
    ),
  );
}
