import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { renderApp } from "@/test/render";

afterEach(() => vi.unstubAllGlobals());

describe("the connection banner", () => {
  it("says the server cannot be reached, and goes once Retry gets through", async () => {
    let down = true;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        // fetch() rejects with a TypeError when no answer comes at all.
        if (down) throw new TypeError("Failed to fetch");
        const { pathname } = new URL(input instanceof Request ? input.url : String(input), "http://localhost");
        const bodies: Record<string, unknown> = {
          "/health": { status: "ok", version: "1.2.3" },
          "/ready": { status: "ready", checks: { database: "ok" } },
        };
        return pathname === "/api/me"
          ? new Response(JSON.stringify({ detail: "Sign in first." }), { status: 401 })
          : new Response(JSON.stringify(bodies[pathname] ?? {}), { headers: { "Content-Type": "application/json" } });
      }),
    );
    renderApp("/");

    const banner = await screen.findByTestId("connection-banner");
    expect(banner).toHaveTextContent("Lost the connection to the Infrasync server.");

    down = false;
    await userEvent.setup().click(screen.getByRole("button", { name: "Retry" }));
    await vi.waitFor(() => expect(screen.queryByTestId("connection-banner")).not.toBeInTheDocument());
    expect(await screen.findByText("Server healthy")).toBeInTheDocument();
  });

  it("says when the browser is offline", async () => {
    vi.spyOn(navigator, "onLine", "get").mockReturnValue(false);
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    renderApp("/");
    expect(await screen.findByTestId("connection-banner")).toHaveTextContent("You are offline.");
    vi.restoreAllMocks();
  });
});
