import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";

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
  return queryClient;
}
