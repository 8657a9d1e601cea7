import { infiniteQueryOptions } from "@tanstack/react-query";

import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export const AUDIT_PAGE_SIZE = 50;

/** The org's audit log, newest first, a page at a time (`next_cursor` leads to the next). */
export function auditQuery(slug: string, action: string) {
  return infiniteQueryOptions({
    queryKey: orgKeys.audit(slug, action),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/orgs/{org}/audit", {
          params: {
            path: { org: slug },
            query: {
              limit: AUDIT_PAGE_SIZE,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(action ? { action } : {}),
            },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}
