import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { fakeServer, json, renderApp, signedOut } from "@/test/render";

const healthy = () => json({ status: "ok", version: "1.2.3" });
const ready = () => json({ status: "ready", checks: { database: "ok" } });

describe("home page", () => {
  it("introduces the product", async () => {
    fakeServer({ "/api/me": signedOut, "/health": healthy, "/ready": ready });
    renderApp("/");

    expect(await screen.findByRole("heading", { level: 1, name: "Infrasync" })).toBeInTheDocument();
    expect(
      screen.getByText(
        "Keep your team in sync with its GitHub repositories — digests of pull requests, reviews, issues, commits and releases, delivered to Slack, Discord, email and webhooks.",
      ),
    ).toBeInTheDocument();
    expect(await screen.findByText("Server healthy")).toBeInTheDocument();
  });

  it("shows a healthy server and a ready database", async () => {
    const fetchMock = fakeServer({ "/api/me": signedOut, "/health": healthy, "/ready": ready });
    renderApp("/");

    const status = await screen.findByRole("region", { name: "Server status" });
    expect(await within(status).findByText("Server healthy")).toBeInTheDocument();
    expect(await within(status).findByText("Database ready")).toBeInTheDocument();
    expect(screen.getByTestId("server-health")).toHaveTextContent(/^Server healthy$/);
    expect(screen.getByTestId("server-ready")).toHaveTextContent(/^Database ready$/);
    expect(screen.getByText("Infrasync server version 1.2.3")).toBeInTheDocument();
    expect(screen.getByTestId("server-summary")).toHaveTextContent("Operational");

    // The checks (and who is signed in) went to the same origin with the session cookie.
    const requests = fetchMock.mock.calls.map(([input]) => input as Request);
    // `/api/server` says whether to offer GitHub sign-in.
    expect(requests.map((r) => new URL(r.url).pathname).sort()).toEqual([
      "/api/me",
      "/api/server",
      "/health",
      "/ready",
    ]);
    for (const request of requests) expect(request.credentials).toBe("include");
  });

  it("shows the failing check's text when the server is not ready", async () => {
    fakeServer({
      "/api/me": signedOut,
      "/health": healthy,
      "/ready": () =>
        json({ status: "unavailable", checks: { database: "connection refused" }, detail: "database down" }, 503),
    });
    renderApp("/");

    expect(await screen.findByText("database: connection refused")).toBeInTheDocument();
    expect(screen.getByTestId("server-ready")).toHaveTextContent(/^database: connection refused$/);
    expect(screen.getByTestId("server-ready")).not.toHaveTextContent("Database ready");
    expect(screen.getByTestId("server-health")).toHaveTextContent("Server healthy");
    expect(screen.getByTestId("server-summary")).toHaveTextContent("Needs attention");
  });

  it("lists only the checks that failed", async () => {
    fakeServer({
      "/api/me": signedOut,
      "/health": healthy,
      "/ready": () => json({ status: "unavailable", checks: { database: "ok", migrations: "2 pending" } }, 503),
    });
    renderApp("/");

    expect(await screen.findByText("migrations: 2 pending")).toBeInTheDocument();
    expect(screen.getByTestId("server-ready")).not.toHaveTextContent("database");
  });

  it("says the server is unreachable when the request fails", async () => {
    fakeServer({
      "/api/me": () => Promise.reject(new TypeError("Failed to fetch")),
      "/health": () => Promise.reject(new TypeError("Failed to fetch")),
      "/ready": () => Promise.reject(new TypeError("Failed to fetch")),
    });
    renderApp("/");

    const health = await screen.findByTestId("server-health");
    expect(await within(health).findByText("Server unreachable")).toBeInTheDocument();
    expect(await within(screen.getByTestId("server-ready")).findByText("Server unreachable")).toBeInTheDocument();
    expect(screen.queryByText("Server healthy")).not.toBeInTheDocument();
    expect(screen.queryByText("Database ready")).not.toBeInTheDocument();
  });

  it("says the server is unreachable when a proxy cannot reach it", async () => {
    const badGateway = () => new Response("", { status: 502 });
    fakeServer({ "/api/me": badGateway, "/health": badGateway, "/ready": badGateway });
    renderApp("/");

    expect(
      await within(await screen.findByTestId("server-health")).findByText("Server unreachable"),
    ).toBeInTheDocument();
    expect(await within(screen.getByTestId("server-ready")).findByText("Server unreachable")).toBeInTheDocument();
  });

  it("reports other server errors with their status code", async () => {
    fakeServer({
      "/api/me": signedOut,
      "/health": () => new Response("Internal Server Error", { status: 500 }),
      "/ready": () => new Response("Internal Server Error", { status: 500 }),
    });
    renderApp("/");

    expect(await screen.findByText("Health check failed (HTTP 500)")).toBeInTheDocument();
    expect(await screen.findByText("Readiness check failed (HTTP 500)")).toBeInTheDocument();
  });

  it("checks again when asked and shows the recovered server", async () => {
    let up = false;
    fakeServer({
      "/api/me": signedOut,
      "/health": () => (up ? healthy() : Promise.reject(new TypeError("Failed to fetch"))),
      "/ready": () => (up ? ready() : Promise.reject(new TypeError("Failed to fetch"))),
    });
    const user = userEvent.setup();
    renderApp("/");

    expect(
      await within(await screen.findByTestId("server-health")).findByText("Server unreachable"),
    ).toBeInTheDocument();
    up = true;
    await user.click(screen.getByRole("button", { name: "Check again" }));

    expect(await screen.findByText("Server healthy")).toBeInTheDocument();
    expect(await screen.findByText("Database ready")).toBeInTheDocument();
  });

  it("offers a GitHub sign-in that is a full page link to the backend", async () => {
    fakeServer({ "/api/me": signedOut, "/health": healthy, "/ready": ready });
    const { router } = renderApp("/");

    const signIn = await screen.findByRole("link", { name: "Sign in with GitHub" });
    expect(signIn).toBe(screen.getByTestId("sign-in"));
    expect(signIn).toHaveAttribute("href", "/auth/github/login");

    // Clicking must be left to the browser (a full page load), not taken over by client-side
    // routing, which would cancel the click. The document sees the click after the app has.
    let cancelledByApp: boolean | undefined;
    const onClick = (event: MouseEvent) => {
      cancelledByApp = event.defaultPrevented;
      event.preventDefault(); // jsdom cannot load pages
    };
    document.addEventListener("click", onClick);
    try {
      await userEvent.setup().click(signIn);
    } finally {
      document.removeEventListener("click", onClick);
    }
    expect(cancelledByApp).toBe(false);
    expect(router.state.location.pathname).toBe("/");
    await screen.findByText("Server healthy");
  });
});
