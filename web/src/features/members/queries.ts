import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type Role } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export function membersQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.members(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/members", { params: { path: { org: slug } } })),
  });
}

/** After a membership change: the members, my own role, and the audit log may all differ. */
function useMembershipChanged(slug: string) {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) });
    void queryClient.invalidateQueries({ queryKey: orgKeys.list });
  };
}

export function useChangeRole(slug: string) {
  const changed = useMembershipChanged(slug);
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(
        api.PATCH("/api/orgs/{org}/members/{user_id}", {
          params: { path: { org: slug, user_id: userId } },
          body: { role },
        }),
      ),
    onSuccess: changed,
  });
}

export function useRemoveMember(slug: string) {
  const changed = useMembershipChanged(slug);
  return useMutation({
    mutationFn: ({ userId }: { userId: string; login: string }) =>
      unwrap(api.DELETE("/api/orgs/{org}/members/{user_id}", { params: { path: { org: slug, user_id: userId } } })),
    onSuccess: changed,
  });
}
