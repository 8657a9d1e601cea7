import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";

import { api, type ConnectGitHubBody, type Me } from "@/api/client";
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
 * A path of this web app to come back to, or null: the same rule as the server's
 * `safe_return_path`, so a crafted `return_to` can never send a link off-site.
 */
export function safeReturnPath(candidate: string | null | undefined): string | null {
  return candidate && /^\/(?!\/)[A-Za-z0-9/_\-.~%?=&]*$/.test(candidate) ? candidate : null;
}

/**
 * Where "Connect GitHub" points: the web app's consent page (`/connect/github`), which says
 * what GitHub will be asked for (`privateAccess`: private repositories too) and starts
 * nothing until the user continues; afterwards the browser comes back to `returnTo`.
 */
export function connectGitHubHref(returnTo: string, { privateAccess = false } = {}): string {
  const query = new URLSearchParams(privateAccess ? { private: "true" } : {});
  query.set("return_to", returnTo);
  return `/connect/github?${query}`;
}

/**
 * Starts connecting GitHub: a POST (with the CSRF header, like every write), so no other
 * site can start it; the server answers with GitHub's consent page, where the browser goes.
 */
export function useConnectGitHub() {
  return useMutation({
    mutationFn: (body: ConnectGitHubBody) => unwrap(api.POST("/auth/github/connect", { body })),
    onSuccess: ({ authorize_url }) => window.location.assign(authorize_url),
  });
}

/**
 * Disconnects GitHub: the server withdraws your token from every org and forgets it, so
 * every org's monitors and tokens may have changed; everything cached is asked for again.
 */
export function useDisconnectGitHub() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/me/github")),
    onSuccess: () => {
      queryClient.setQueryData<Me | null>(meQueryKey, (me) => (me ? { ...me, github: null } : me));
      void queryClient.invalidateQueries();
    },
  });
}
