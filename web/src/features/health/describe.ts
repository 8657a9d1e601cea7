import type { Health, Readiness } from "@/api/client";

import { HttpError } from "./queries";

export type Tone = "pending" | "ok" | "fail";

export interface StatusLine {
  tone: Tone;
  text: string;
}

interface QueryLike<T> {
  status: "pending" | "error" | "success";
  data?: T;
  error: Error | null;
}

// A proxy in front of the server (the dev server's, or a load balancer) answers these when
// it cannot reach the server: to the user that is the same as no answer at all.
const GATEWAY_ERRORS = new Set([502, 504]);

function describeFailure(error: Error | null, what: string): StatusLine {
  if (error instanceof HttpError && !GATEWAY_ERRORS.has(error.status)) {
    return { tone: "fail", text: `${what} failed (HTTP ${error.status})` };
  }
  // fetch() itself rejected, or a gateway could not reach the server.
  return { tone: "fail", text: "Server unreachable" };
}

export function describeHealth(query: QueryLike<Health>): StatusLine {
  if (query.status === "pending") return { tone: "pending", text: "Checking server…" };
  if (query.status === "error" || !query.data) return describeFailure(query.error, "Health check");
  return { tone: "ok", text: "Server healthy" };
}

/** Checks whose value is anything other than "ok", as "name: text". */
export function failingChecks(readiness: Readiness): string[] {
  return Object.entries(readiness.checks)
    .filter(([, value]) => value !== "ok")
    .map(([name, value]) => `${name}: ${value}`);
}

export function describeReadiness(query: QueryLike<Readiness>): StatusLine {
  if (query.status === "pending") return { tone: "pending", text: "Checking database…" };
  if (query.status === "error" || !query.data) return describeFailure(query.error, "Readiness check");
  const readiness = query.data;
  if (readiness.status === "ready") return { tone: "ok", text: "Database ready" };
  const failing = failingChecks(readiness);
  const text = failing.length > 0 ? failing.join("; ") : (readiness.detail ?? "Not ready");
  return { tone: "fail", text };
}
