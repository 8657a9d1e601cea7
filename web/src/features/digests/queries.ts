import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export const DIGEST_PAGE_SIZE = 20;

/** The org's digests, newest first, a page at a time (`next_cursor` leads to the next). */
export function digestsQuery(slug: string, monitorId: string | null = null) {
  return infiniteQueryOptions({
    queryKey: [...orgKeys.digests(slug), monitorId ?? "all"],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/orgs/{org}/digests", {
          params: {
            path: { org: slug },
            query: {
              limit: DIGEST_PAGE_SIZE,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(monitorId ? { monitor_id: monitorId } : {}),
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
