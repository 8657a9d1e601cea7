import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type InviteCreate } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export function invitesQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.invites(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/invites", { params: { path: { org: slug } } })),
  });
}

export function useCreateInvite(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: InviteCreate) =>
      unwrap(api.POST("/api/orgs/{org}/invites", { params: { path: { org: slug } }, body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) }),
  });
}

export function useRevokeInvite(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (inviteId: string) =>
      unwrap(
        api.DELETE("/api/orgs/{org}/invites/{invite_id}", { params: { path: { org: slug, invite_id: inviteId } } }),
      ),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) }),
  });
}

export const inviteKeys = {
  preview: (token: string) => ["invite", token] as const,
};

export function invitePreviewQuery(token: string) {
  return queryOptions({
    queryKey: inviteKeys.preview(token),
    queryFn: () => unwrap(api.GET("/api/invites/{token}", { params: { path: { token } } })),
  });
}

export function useAcceptInvite(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/invites/{token}/accept", { params: { path: { token } } })),
    onSuccess: (org) => {
      queryClient.setQueryData(orgKeys.org(org.slug), org);
      void queryClient.invalidateQueries({ queryKey: orgKeys.list });
      void queryClient.invalidateQueries({ queryKey: inviteKeys.preview(token) });
    },
  });
}
