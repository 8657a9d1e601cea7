import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, json, renderApp, signedOut } from "@/test/render";

afterEach(() => vi.unstubAllGlobals());

describe("a session that expires while the app is open", () => {
  it("leads to sign-in with a message and a way back to the same page", async () => {
    let expired = false;
    fakeServer({
      "/api/me": (request) => (expired ? signedOut(request) : signedIn()),
      "/api/orgs/acme": () => json(anOrg()),
      "/api/orgs/acme/members": () => (expired ? json({ detail: "Sign in first." }, 401) : json([])),
      "/api/orgs/acme/invites": () => (expired ? json({ detail: "Sign in first." }, 401) : json([])),
      "/api/orgs/acme/audit": () => json({ detail: "Sign in first." }, 401),
    });
    renderApp("/orgs/acme/members?role=admin");
    expect(await screen.findByRole("heading", { level: 1, name: "Acme" })).toBeInTheDocument();

    // The session ends on the server; the next request (opening Audit log) gets a 401.
    expired = true;
    await userEvent.setup().click(screen.getByRole("link", { name: "Audit log" }));

    expect(await screen.findByTestId("session-ended")).toHaveTextContent(
      "Your session has ended. Sign in again to come back to this page.",
    );
    const signIn = await screen.findByRole("link", { name: "Sign in with GitHub" });
    expect(signIn).toHaveAttribute(
      "href",
      `/auth/github/login?${new URLSearchParams({ return_to: "/orgs/acme/audit" })}`,
    );
  });

  it("says nothing of an expiry to someone who was never signed in", async () => {
    fakeServer({ "/api/me": signedOut });
    renderApp("/orgs/acme/members");

    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toHaveAttribute(
      "href",
      `/auth/github/login?${new URLSearchParams({ return_to: "/orgs/acme/members" })}`,
    );
    expect(screen.queryByTestId("session-ended")).not.toBeInTheDocument();
  });
});
