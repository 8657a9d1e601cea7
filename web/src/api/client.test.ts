import { afterEach, describe, expect, it } from "vitest";

import { fakeServer, json, methods, noContent, setCsrfCookie } from "@/test/render";

import { api } from "./client";
import { ApiError, unwrap } from "./errors";

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

function sent(fetchMock: ReturnType<typeof fakeServer>) {
  return fetchMock.mock.calls.map(([input]) => {
    const request = input as Request;
    return { method: request.method, csrf: request.headers.get("X-CSRF-Token"), credentials: request.credentials };
  });
}

describe("API client", () => {
  it("echoes the CSRF cookie on every write and never on a read", async () => {
    clearCookie = setCsrfCookie("csrf-token-123");
    const org = { id: "1", name: "Acme", slug: "acme", role: "owner", created_at: "", deleted_at: null };
    const fetchMock = fakeServer({
      "/api/orgs": methods({ get: () => json([org]), post: () => json(org, 201) }),
      "/api/orgs/acme": methods({ get: () => json(org), patch: () => json(org), delete: noContent }),
      "/auth/logout": methods({ post: noContent }),
    });

    await api.GET("/api/orgs");
    await api.GET("/api/orgs/{org}", { params: { path: { org: "acme" } } });
    await api.POST("/api/orgs", { body: { name: "Acme" } });
    await api.PATCH("/api/orgs/{org}", { params: { path: { org: "acme" } }, body: { name: "Acme Inc" } });
    await api.DELETE("/api/orgs/{org}", { params: { path: { org: "acme" } } });
    await api.POST("/auth/logout");

    expect(sent(fetchMock)).toEqual([
      { method: "GET", csrf: null, credentials: "include" },
      { method: "GET", csrf: null, credentials: "include" },
      { method: "POST", csrf: "csrf-token-123", credentials: "include" },
      { method: "PATCH", csrf: "csrf-token-123", credentials: "include" },
      { method: "DELETE", csrf: "csrf-token-123", credentials: "include" },
      { method: "POST", csrf: "csrf-token-123", credentials: "include" },
    ]);
  });

  it("reads the right cookie among others, decoded", async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: the test plays the browser's other cookies.
    document.cookie = "other=1; path=/";
    clearCookie = setCsrfCookie("a%2Fb%3Dc");
    const fetchMock = fakeServer({ "/auth/logout": methods({ post: noContent }) });

    await api.POST("/auth/logout");

    expect(sent(fetchMock)[0].csrf).toBe("a/b=c");
    // biome-ignore lint/suspicious/noDocumentCookie: tidy up the cookie set above.
    document.cookie = "other=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT";
  });

  it("sends no CSRF header when there is no CSRF cookie (signed out)", async () => {
    const fetchMock = fakeServer({ "/auth/logout": methods({ post: noContent }) });

    await api.POST("/auth/logout");

    expect(sent(fetchMock)[0].csrf).toBeNull();
  });

  it("turns an error answer into the server's sentence", async () => {
    fakeServer({
      "/api/orgs": methods({ post: () => json({ detail: "The slug 'acme' is taken; choose another." }, 409) }),
    });

    const failure = unwrap(api.POST("/api/orgs", { body: { name: "Acme", slug: "acme" } }));

    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 409, detail: "The slug 'acme' is taken; choose another." });
  });
});
