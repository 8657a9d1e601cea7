import { queryOptions } from "@tanstack/react-query";

import { api, type Health, type Readiness } from "@/api/client";
import { unwrap } from "@/api/errors";

/** The server answered, but not with a response this app understands. */
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number) {
    super(`HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
  }
}

function isReadiness(value: unknown): value is Readiness {
  if (typeof value !== "object" || value === null) return false;
  const { status, checks } = value as Record<string, unknown>;
  return (status === "ready" || status === "unavailable") && typeof checks === "object" && checks !== null;
}

const REFRESH_MS = 30_000;

export const healthQuery = queryOptions({
  queryKey: ["health"],
  queryFn: async (): Promise<Health> => {
    const { data, response } = await api.GET("/health");
    if (!response.ok || data === undefined) throw new HttpError(response.status);
    return data;
  },
  refetchInterval: REFRESH_MS,
});

export const readinessQuery = queryOptions({
  queryKey: ["ready"],
  // A 503 still carries a Readiness body saying which check failed: that is data, not an error.
  queryFn: async (): Promise<Readiness> => {
    const { data, error, response } = await api.GET("/ready");
    const body: unknown = data ?? error;
    if (!isReadiness(body)) throw new HttpError(response.status);
    return body;
  },
  refetchInterval: REFRESH_MS,
});

/** What this server offers (GitHub sign-in, local sources, an AI model): fixed until it restarts. */
export const serverInfoQuery = queryOptions({
  queryKey: ["server"],
  queryFn: () => unwrap(api.GET("/api/server")),
  staleTime: 10 * 60_000,
});
