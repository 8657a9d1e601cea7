import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Org, type OrgCreate, type OrgUpdate } from "@/api/client";
import { unwrap } from "@/api/errors";

/**
 * Query keys. Everything about one org lives under `["org", slug]`, so a change in an org
 * can mark all of it stale at once (its audit log included).
 */
export const orgKeys = {
  list: ["org-list"] as const,
  org: (slug: string) => ["org", slug] as const,
  members: (slug: string) => ["org", slug, "members"] as const,
  invites: (slug: string) => ["org", slug, "invites"] as const,
  apiKeys: (slug: string) => ["org", slug, "api-keys"] as const,
  audit: (slug: string, action: string) => ["org", slug, "audit", action] as const,
  monitors: (slug: string) => ["org", slug, "monitors"] as const,
  githubTokens: (slug: string) => ["org", slug, "github-tokens"] as const,
  digests: (slug: string) => ["org", slug, "digests"] as const,
  digest: (slug: string, id: string) => ["org", slug, "digest", id] as const,
  run: (slug: string, id: string) => ["org", slug, "run", id] as const,
  schedulePreview: (slug: string, query: Record<string, string>) => ["org", slug, "schedule-preview", query] as const,
  channels: (slug: string) => ["org", slug, "channels"] as const,
  deliveries: (slug: string, channelId: string) => ["org", slug, "channels", channelId, "deliveries"] as const,
};

/** My orgs, soft-deleted ones included (owners can restore those). */
export const orgListQuery = queryOptions({
  queryKey: orgKeys.list,
  queryFn: () => unwrap(api.GET("/api/orgs", { params: { query: { include_deleted: true } } })),
});

export function orgQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.org(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}", { params: { path: { org: slug } } })),
  });
}

export function useOrg(slug: string) {
  return useQuery(orgQuery(slug));
}

export function useCreateOrg() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: OrgCreate) => unwrap(api.POST("/api/orgs", { body })),
    onSuccess: (org) => {
      queryClient.setQueryData(orgKeys.org(org.slug), org);
      void queryClient.invalidateQueries({ queryKey: orgKeys.list });
    },
  });
}

export function useUpdateOrg(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: OrgUpdate) => unwrap(api.PATCH("/api/orgs/{org}", { params: { path: { org: slug } }, body })),
    onSuccess: (org) => {
      if (org.slug !== slug) queryClient.removeQueries({ queryKey: orgKeys.org(slug) });
      queryClient.setQueryData(orgKeys.org(org.slug), org);
      void queryClient.invalidateQueries({ queryKey: orgKeys.org(org.slug) });
      void queryClient.invalidateQueries({ queryKey: orgKeys.list });
    },
  });
}

/** Changes that take the org away from me (delete, leave): forget it and refresh my list. */
function useOrgGone() {
  const queryClient = useQueryClient();
  return (slug: string) => {
    queryClient.removeQueries({ queryKey: orgKeys.org(slug) });
    void queryClient.invalidateQueries({ queryKey: orgKeys.list });
  };
}

export function useDeleteOrg(slug: string) {
  const gone = useOrgGone();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/orgs/{org}", { params: { path: { org: slug } } })),
    onSuccess: () => gone(slug),
  });
}

export function useLeaveOrg(slug: string) {
  const gone = useOrgGone();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/orgs/{org}/leave", { params: { path: { org: slug } } })),
    onSuccess: () => gone(slug),
  });
}

export function useRestoreOrg() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (slug: string) => unwrap(api.POST("/api/orgs/{org}/restore", { params: { path: { org: slug } } })),
    onSuccess: (org: Org) => {
      queryClient.setQueryData(orgKeys.org(org.slug), org);
      void queryClient.invalidateQueries({ queryKey: orgKeys.list });
    },
  });
}

/**
 * The slug the server would give a new org named `name` (transliterated, made unique):
 * asked of the server, so the preview never disagrees with what creating gives.
 */
export function slugPreviewQuery(name: string) {
  return queryOptions({
    queryKey: ["org-slug", name] as const,
    queryFn: () => unwrap(api.GET("/api/org-slug", { params: { query: { name } } })),
    enabled: name.trim() !== "" && [...name.trim()].length <= 100,
    staleTime: 10_000,
  });
}
