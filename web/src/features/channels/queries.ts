import { infiniteQueryOptions, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type ChannelCreate, type ChannelUpdate } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

import { deliveryInFlight } from "./describe";

export const DELIVERY_PAGE_SIZE = 20;

/** The org's channels: hints only, never a URL or secret. */
export function channelsQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.channels(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/channels", { params: { path: { org: slug } } })),
    // A delivery on its way shows how it ended without a reload.
    refetchInterval: (query) => (query.state.data?.some(deliveryInFlight) ? 2000 : false),
  });
}

/** Every attempt to deliver to one channel, newest first, a page at a time. */
export function deliveriesQuery(slug: string, channelId: string) {
  return infiniteQueryOptions({
    queryKey: orgKeys.deliveries(slug, channelId),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/orgs/{org}/channels/{channel_id}/deliveries", {
          params: {
            path: { org: slug, channel_id: channelId },
            query: { limit: DELIVERY_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** A channel change shows on the monitors (their channel lists) and in the audit log too. */
function useInvalidateOrg(slug: string) {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) });
}

export function useCreateChannel(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (body: ChannelCreate) =>
      unwrap(api.POST("/api/orgs/{org}/channels", { params: { path: { org: slug } }, body })),
    onSuccess: invalidate,
  });
}

export function useUpdateChannel(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ChannelUpdate }) =>
      unwrap(
        api.PATCH("/api/orgs/{org}/channels/{channel_id}", {
          params: { path: { org: slug, channel_id: id } },
          body,
        }),
      ),
    onSuccess: invalidate,
  });
}

export function useDeleteChannel(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/orgs/{org}/channels/{channel_id}", { params: { path: { org: slug, channel_id: id } } })),
    onSuccess: invalidate,
  });
}

/** Sends a test message now; the answer says how it went (a permanent error disables the channel). */
export function useTestChannel(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/orgs/{org}/channels/{channel_id}/test", { params: { path: { org: slug, channel_id: id } } }),
      ),
    onSuccess: invalidate,
  });
}

/** A generic webhook's new signing secret: in this answer only. */
export function useRotateSecret(slug: string) {
  const invalidate = useInvalidateOrg(slug);
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.POST("/api/orgs/{org}/channels/{channel_id}/rotate-secret", {
          params: { path: { org: slug, channel_id: id } },
        }),
      ),
    onSuccess: invalidate,
  });
}
