import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { vi } from "vitest";

import { createQueryClient } from "@/app/queryClient";
import { routes } from "@/app/routes";

/** Render the whole app, with its real routes, as if the browser had opened `path`. */
export function renderApp(path = "/") {
  const queryClient = createQueryClient({ retry: 0 });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...result, router, queryClient };
}

export type Handler = (request: Request) => Response | Promise<Response>;

/**
 * Replace `fetch` with a fake server answering the given paths; anything else gets a 404.
 * Returns the mock so tests can inspect the requests the app made.
 */
export function fakeServer(handlers: Record<string, Handler>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const handler = handlers[new URL(request.url).pathname];
    return handler ? handler(request) : new Response("Not Found", { status: 404 });
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

/** One path's handlers by HTTP method; other methods get the server's 405. */
export function methods(byMethod: Partial<Record<"get" | "post" | "patch" | "put" | "delete", Handler>>): Handler {
  return (request) => {
    const handler = byMethod[request.method.toLowerCase() as keyof typeof byMethod];
    return handler ? handler(request) : json({ detail: "Method Not Allowed" }, 405);
  };
}

export function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function noContent() {
  return new Response(null, { status: 204 });
}

/** What the server says to `/api/me` with no session. */
export const signedOut: Handler = () => json({ detail: "Sign in first." }, 401);

/** Set the readable CSRF cookie as the server would after sign-in; returns a cleanup. */
export function setCsrfCookie(value: string) {
  // biome-ignore lint/suspicious/noDocumentCookie: a test plays the server's Set-Cookie.
  document.cookie = `infrasync_csrf=${value}; path=/`;
  return () => {
    // biome-ignore lint/suspicious/noDocumentCookie: see above.
    document.cookie = "infrasync_csrf=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT";
  };
}

/**
 * Stand in for the browser's `window.location`, whose `assign` leaves the page (jsdom cannot
 * follow it): returns the `assign` mock, so a test sees where the app sent the browser.
 * `vi.unstubAllGlobals` (after each test) puts the real one back.
 */
export function stubPageNavigation() {
  const assign = vi.fn<(url: string | URL) => void>();
  vi.stubGlobal("location", { ...window.location, assign });
  return assign;
}
