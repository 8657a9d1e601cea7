import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";

import { api, type Me } from "@/api/client";
import { ApiError, detailOf, unwrap } from "@/api/errors";

export const meQueryKey = ["me"] as const;

/** Who is signed in: the user, or null when signed out (the server's 401). */
export const meQuery = queryOptions({
  queryKey: meQueryKey,
  queryFn: async (): Promise<Me | null> => {
    const { data, error, response } = await api.GET("/api/me");
    if (response.status === 401) return null;
    if (!response.ok || data === undefined) throw new ApiError(response.status, detailOf(error, response.status));
    return data;
  },
  staleTime: 60_000,
});

export function useMe() {
  return useQuery(meQuery);
}

/** Signs out on the server, forgets everything cached about the user, and goes home. */
export function useSignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/auth/logout")),
    onSuccess: () => {
      queryClient.clear();
      queryClient.setQueryData(meQueryKey, null);
      void navigate("/");
    },
  });
}

/** Where the "Sign in with GitHub" link points: a full page load of the backend's route. */
export function signInHref(returnTo?: string): string {
  if (!returnTo || returnTo === "/") return "/auth/github/login";
  return `/auth/github/login?${new URLSearchParams({ return_to: returnTo })}`;
}

/**
 * Where "Connect GitHub" points: a full page load of the backend's route, which asks GitHub
 * for a token the org's monitors may read with (`privateAccess`: private repositories too),
 * then comes back to `returnTo`.
 */
export function connectGitHubHref(returnTo: string, { privateAccess = false } = {}): string {
  const query = new URLSearchParams(privateAccess ? { private: "true" } : {});
  query.set("return_to", returnTo);
  return `/auth/github/connect?${query}`;
}
