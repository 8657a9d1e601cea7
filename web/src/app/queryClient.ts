import { hashKey, MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";

import { ApiError } from "@/api/errors";
import { meQueryKey } from "@/features/auth/queries";

/**
 * One QueryClient for the app. A 4xx is the server's considered answer (retrying will not
 * change it); a 401 anywhere means the session has ended, so the app shows itself signed out.
 */
export function createQueryClient({ retry = 1 }: { retry?: number } = {}) {
  const sessionEnded = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) queryClient.setQueryData(meQueryKey, null);
  };
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: sessionEnded }),
    mutationCache: new MutationCache({ onError: sessionEnded }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < retry,
      },
    },
  });
  noteSessionEnd(queryClient);
  return queryClient;
}

/** Set (to true) when a signed-in user's session ends by itself, not by signing out. */
export const sessionEndedQueryKey = ["session-ended"] as const;

/**
 * Watches who is signed in: when the user becomes null while signed in (a 401 from any
 * request, or /api/me answering 401 on a refetch), the session expired, so the sign-in
 * prompt can say why it appeared. Signing out clears the cache first, which forgets the
 * user, so it is not taken for an expiry.
 */
function noteSessionEnd(queryClient: QueryClient) {
  let signedIn = false;
  queryClient.getQueryCache().subscribe((event) => {
    if (event.query.queryHash !== meQueryHash) return;
    if (event.type === "removed") {
      signedIn = false;
      return;
    }
    const me: unknown = event.query.state.data;
    if (me) {
      signedIn = true;
      queryClient.setQueryData(sessionEndedQueryKey, false);
    } else if (me === null && signedIn) {
      signedIn = false;
      queryClient.setQueryData(sessionEndedQueryKey, true);
    }
  });
}

const meQueryHash = hashKey(meQueryKey);
