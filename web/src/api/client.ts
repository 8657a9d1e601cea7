import createClient from "openapi-fetch";

import type { components, paths } from "./schema";

/**
 * Typed client for the Infrasync backend. The web app is served by the backend itself
 * (or proxied to it by the Vite dev server), so requests go to the same origin and carry
 * the session cookie.
 */
export const api = createClient<paths>({
  baseUrl: "",
  credentials: "include",
  // Look `fetch` up on every call rather than once at import time, so a replaced global
  // (a test's stub, an instrumentation wrapper) is honoured.
  fetch: (request) => globalThis.fetch(request),
});

export type Health = components["schemas"]["Health"];
export type Readiness = components["schemas"]["Readiness"];
