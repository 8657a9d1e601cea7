import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { type ApiKeyCreate, api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { orgKeys } from "@/features/orgs/queries";

export function apiKeysQuery(slug: string) {
  return queryOptions({
    queryKey: orgKeys.apiKeys(slug),
    queryFn: () => unwrap(api.GET("/api/orgs/{org}/api-keys", { params: { path: { org: slug } } })),
  });
}

export function useCreateApiKey(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiKeyCreate) =>
      unwrap(api.POST("/api/orgs/{org}/api-keys", { params: { path: { org: slug } }, body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) }),
  });
}

export function useRevokeApiKey(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) =>
      unwrap(api.DELETE("/api/orgs/{org}/api-keys/{key_id}", { params: { path: { org: slug, key_id: keyId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: orgKeys.org(slug) }),
  });
}
