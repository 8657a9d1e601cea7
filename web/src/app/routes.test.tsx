import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { fakeServer, json, renderApp } from "@/test/render";

describe("routing", () => {
  it.each(["/orgs/acme/monitors/3", "/no-such-page"])("renders the in-app not-found page for %s", async (path) => {
    renderApp(path);

    expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByText(path)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Sign in with GitHub" })).not.toBeInTheDocument();
    // Still inside the app shell.
    expect(screen.getByRole("banner")).toHaveTextContent("Infrasync");
  });

  it("leads from the not-found page back home", async () => {
    fakeServer({
      "/health": () => json({ status: "ok", version: "1.2.3" }),
      "/ready": () => json({ status: "ready", checks: { database: "ok" } }),
    });
    const { router } = renderApp("/orgs/acme/monitors/3");

    await userEvent.setup().click(screen.getByRole("link", { name: "Go to the home page" }));

    expect(router.state.location.pathname).toBe("/");
    expect(await screen.findByRole("heading", { level: 1, name: "Infrasync" })).toBeInTheDocument();
    expect(await screen.findByText("Server healthy")).toBeInTheDocument();
  });

  it("renders a signing-in page at /auth/callback with a way home", () => {
    renderApp("/auth/callback");

    expect(screen.getByRole("status")).toHaveTextContent("Signing in…");
    expect(screen.getByRole("link", { name: "Back to home" })).toHaveAttribute("href", "/");
    expect(screen.queryByText("Page not found")).not.toBeInTheDocument();
  });
});
