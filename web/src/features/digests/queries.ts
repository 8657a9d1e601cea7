import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

import type { DigestListQuery } from "./filters";

export const DIGEST_PAGE_SIZE = 20;

/** The org's digests, newest first, a page at a time (`next_cursor` leads to the next). */
export function digestsQuery(slug: string, filters: DigestListQuery = {}) {
  return infiniteQueryOptions({
    queryKey: [...orgKeys.digests(slug), filters.monitor_id ?? "all", filters.since ?? "", filters.until ?? ""],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/orgs/{org}/digests", {
          params: {
            path: { org: slug },
            query: {
              limit: DIGEST_PAGE_SIZE,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...filters,
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function digestQuery(slug: string, id: string) {
  return queryOptions({
    queryKey: orgKeys.digest(slug, id),
    queryFn: () =>
      unwrap(api.GET("/api/orgs/{org}/digests/{digest_id}", { params: { path: { org: slug, digest_id: id } } })),
  });
}

/** What each kind of channel receives of the digest, fetched when a preview is opened. */
export function digestPreviewQuery(slug: string, id: string) {
  return queryOptions({
    queryKey: [...orgKeys.digest(slug, id), "preview"],
    queryFn: () =>
      unwrap(
        api.GET("/api/orgs/{org}/digests/{digest_id}/preview", { params: { path: { org: slug, digest_id: id } } }),
      ),
    staleTime: Number.POSITIVE_INFINITY, // a stored digest renders the same until it is deleted
  });
}
