import { infiniteQueryOptions, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";

import { api, type Me } from "@/api/client";
import { unwrap } from "@/api/errors";
import { meQueryKey } from "@/features/auth/queries";

/** The file name the server gives the export (`Content-Disposition`), else one like it. */
export function exportFileName(disposition: string | null, login: string): string {
  const named = disposition?.match(/filename="([^"]+)"/)?.[1];
  return named ?? `infrasync-export-${login}.json`;
}

/** Hands `blob` to the browser as a download called `name`. */
function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the browser no longer needs the blob's address.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * "Export my data": everything the server holds about me as one JSON document. Fetched
 * (so a refusal shows its sentence here instead of downloading an error) then saved.
 */
export function useExportMyData(login: string) {
  return useMutation({
    mutationFn: async () => {
      const answer = await api.GET("/api/me/export", { parseAs: "blob" });
      const blob = await unwrap(Promise.resolve(answer));
      const name = exportFileName(answer.response.headers.get("Content-Disposition"), login);
      download(blob, name);
      return name;
    },
  });
}

/**
 * Deletes my account. The server ends every session at once (this one too) and clears the
 * cookies, so everything cached about me is forgotten.
 */
export function useDeleteMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/me")),
    onSuccess: () => {
      queryClient.clear();
      queryClient.setQueryData(meQueryKey, null);
    },
  });
}

/** Restores my deleted account (signed in again within the retention period). */
export function useRestoreMe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/me/restore")),
    onSuccess: (me: Me) => {
      // Every other answer changed (they were 403s while deleted): ask for all again.
      queryClient.clear();
      queryClient.setQueryData(meQueryKey, me);
    },
  });
}

export const mySessionsKey = ["me", "sessions"] as const;

/** Where I am signed in: my live sessions, this one marked `current`. */
export const mySessionsQuery = queryOptions({
  queryKey: mySessionsKey,
  queryFn: () => unwrap(api.GET("/api/me/sessions")),
});

/** Signs one of my other sessions out; it can do nothing from its next request. */
export function useRevokeSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) =>
      unwrap(api.DELETE("/api/me/sessions/{session_id}", { params: { path: { session_id: sessionId } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["me"] }),
  });
}

/** Signs out every session of mine but this one; answers how many ended. */
export function useRevokeOtherSessions() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/me/sessions/sign-out-others")),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["me"] }),
  });
}

export const MY_ACTIVITY_PAGE_SIZE = 20;

/** What I did, newest first, a page at a time. */
export const myActivityQuery = infiniteQueryOptions({
  queryKey: ["me", "audit"] as const,
  queryFn: ({ pageParam }) =>
    unwrap(
      api.GET("/api/me/audit", {
        params: { query: { limit: MY_ACTIVITY_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } },
      }),
    ),
  initialPageParam: null as string | null,
  getNextPageParam: (page) => page.next_cursor ?? undefined,
});
