import { useQueryClient } from "@tanstack/react-query";
import { WifiOff } from "lucide-react";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";

import { useOnline } from "./useOnline";

/** fetch() rejects with a TypeError when it never got an answer: offline, or the server down. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError;
}

/**
 * A banner under the header while the server cannot be reached: the browser is offline,
 * or a request got no answer at all. Retry asks again for everything that failed; the
 * banner goes once a request gets through (or the browser is back online).
 */
export function ConnectionBanner() {
  const queryClient = useQueryClient();
  const online = useOnline();
  const [unreachable, setUnreachable] = useState(false);
  const [retrying, setRetrying] = useState(false);

  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type !== "updated") return;
        if (event.action.type === "error" && isNetworkError(event.action.error)) setUnreachable(true);
        if (event.action.type === "success") setUnreachable(false);
      }),
    [queryClient],
  );

  if (online && !unreachable) return null;

  const retry = async () => {
    setRetrying(true);
    try {
      await queryClient.refetchQueries({ predicate: (query) => query.state.status === "error" });
    } finally {
      setRetrying(false);
    }
  };

  return (
    <div role="alert" data-testid="connection-banner" className="border-b border-amber-200 bg-amber-50 text-amber-900">
      <div className="mx-auto flex w-full max-w-5xl flex-wrap items-center gap-3 px-4 py-2 text-sm sm:px-6">
        <WifiOff aria-hidden="true" className="size-4 shrink-0" />
        <p className="min-w-0 flex-1">
          {online
            ? "Lost the connection to the Infrasync server. What you see may be out of date."
            : "You are offline. What you see may be out of date."}
        </p>
        <Button size="sm" variant="outline" onClick={retry} disabled={retrying}>
          {retrying ? "Retrying…" : "Retry"}
        </Button>
      </div>
    </div>
  );
}
