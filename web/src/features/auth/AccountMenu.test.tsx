import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { anOrg, ME } from "@/test/fixtures";
import { fakeServer, json, methods, noContent, renderApp, setCsrfCookie, signedOut } from "@/test/render";

const healthy = () => json({ status: "ok", version: "1.2.3" });
const ready = () => json({ status: "ready", checks: { database: "ok" } });

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

describe("header", () => {
  it("shows who is signed in, with a way out that ends the session and returns to the landing page", async () => {
    clearCookie = setCsrfCookie("csrf-abc");
    let session = true;
    const fetchMock = fakeServer({
      "/api/me": () => (session ? json(ME) : signedOut(new Request("/api/me"))),
      "/api/orgs": () => json([anOrg()]),
      "/api/orgs/acme": () => json(anOrg()),
      "/api/orgs/acme/members": () => json([]),
      "/auth/logout": methods({
        post: () => {
          session = false;
          return noContent();
        },
      }),
      "/health": healthy,
      "/ready": ready,
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/members");

    const banner = screen.getByRole("banner");
    expect(await within(banner).findByText("mona")).toBeInTheDocument();
    expect(within(banner).getByTestId("signed-in-user")).toHaveTextContent("Signed in as mona");
    expect(banner.querySelector(`img[src="${ME.avatar_url}"]`)).toBeInTheDocument();

    await user.click(within(banner).getByRole("button", { name: "Sign out" }));

    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toHaveAttribute(
      "href",
      "/auth/github/login",
    );
    expect(router.state.location.pathname).toBe("/");
    expect(within(banner).queryByText("mona")).not.toBeInTheDocument();
    expect(within(banner).getByRole("link", { name: "Sign in" })).toBeInTheDocument();
    const logout = fetchMock.mock.calls.map(([input]) => input as Request).find((r) => r.url.endsWith("/auth/logout"));
    expect(logout?.method).toBe("POST");
    expect(logout?.headers.get("X-CSRF-Token")).toBe("csrf-abc");
  });

  it("shows the server's sentence when signing out fails", async () => {
    fakeServer({
      "/api/me": () => json(ME),
      "/api/orgs": () => json([]),
      "/auth/logout": methods({ post: () => json({ detail: "Missing or wrong X-CSRF-Token header." }, 403) }),
    });
    const user = userEvent.setup();
    renderApp("/");

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Could not sign out: Missing or wrong X-CSRF-Token header.",
    );
    expect(within(screen.getByRole("banner")).getByText("mona")).toBeInTheDocument();
  });

  it("offers to sign in and come back to the page the user is on", async () => {
    fakeServer({ "/api/me": signedOut });
    renderApp("/orgs/acme/audit");

    const banner = screen.getByRole("banner");
    expect(await within(banner).findByRole("link", { name: "Sign in" })).toHaveAttribute(
      "href",
      "/auth/github/login?return_to=%2Forgs%2Facme%2Faudit",
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Sign in to continue" })).toBeInTheDocument();
  });
});
