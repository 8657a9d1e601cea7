import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { fakeServer, json, renderApp } from "@/test/render";

describe("routing", () => {
  // /auth/callback: an old placeholder's path; the backend's sign-in callback is /auth/github/callback.
  it.each(["/orgs/acme/monitors/3", "/no-such-page", "/auth/callback"])(
    "renders the in-app not-found page for %s",
    async (path) => {
      renderApp(path);

      expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
      expect(screen.getByText(path)).toBeInTheDocument();
      expect(screen.queryByRole("link", { name: "Sign in with GitHub" })).not.toBeInTheDocument();
      // Still inside the app shell.
      expect(screen.getByRole("banner")).toHaveTextContent("Infrasync");
    },
  );

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
});
