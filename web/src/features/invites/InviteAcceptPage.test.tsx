import { cleanup, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { InvitePreview } from "@/api/client";
import { aMember, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp, setCsrfCookie, signedOut } from "@/test/render";

const TOKEN = "tok_abc-123";
const PREVIEW: InvitePreview = {
  org_name: "Acme",
  org_slug: "acme",
  role: "member",
  invited_by: "octo",
  email_bound: false,
  status: "pending",
  expires_at: "2025-01-09T03:04:05Z",
};

let clearCookie: (() => void) | undefined;
afterEach(() => {
  clearCookie?.();
  localStorage.clear();
});

function server(me: Handler, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": me,
    [`/api/invites/${TOKEN}`]: () => json(PREVIEW),
    ...extra,
  });
}

describe("invite page", () => {
  it("asks a signed-out visitor to sign in and come back here", async () => {
    const fetchMock = server(signedOut);
    renderApp(`/invites/${TOKEN}`);

    expect(
      await screen.findByRole("heading", { level: 1, name: "You have been invited to an org" }),
    ).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: "Sign in with GitHub" })).toHaveAttribute(
      "href",
      `/auth/github/login?return_to=%2Finvites%2F${TOKEN}`,
    );
    expect(screen.queryByRole("button", { name: /Accept/ })).not.toBeInTheDocument();
    // The preview needs a session; the page does not ask for it signed out.
    const paths = fetchMock.mock.calls.map(([input]) => new URL((input as Request).url).pathname);
    expect(paths).not.toContain(`/api/invites/${TOKEN}`);
  });

  it("shows a signed-in user the invite and joins the org on Accept", async () => {
    clearCookie = setCsrfCookie("csrf-inv");
    const accepted: (string | null)[] = [];
    server(signedIn, {
      [`/api/invites/${TOKEN}/accept`]: methods({
        post: (request) => {
          accepted.push(request.headers.get("X-CSRF-Token"));
          return json(anOrg({ role: "member" }));
        },
      }),
      "/api/orgs": () => json([anOrg({ role: "member" })]),
      "/api/orgs/acme": () => json(anOrg({ role: "member" })),
      "/api/orgs/acme/members": () => json([aMember({ role: "member" })]),
    });
    const user = userEvent.setup();
    const { router } = renderApp(`/invites/${TOKEN}`);

    expect(await screen.findByRole("heading", { level: 1, name: "Join Acme" })).toBeInTheDocument();
    expect(screen.getByText("octo invited you to join Acme as a member.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Accept and join Acme" }));

    // The org opens on its dashboard.
    expect(await screen.findByRole("heading", { level: 2, name: "Dashboard" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/orgs/acme");
    expect(screen.getByRole("heading", { level: 1, name: "Acme" })).toBeInTheDocument();
    expect(accepted).toEqual(["csrf-inv"]);
  });

  it.each([
    [409, "You are already a member of Acme."],
    [
      403,
      "This invite is for another email address. Sign in with the GitHub account whose primary email it was sent to.",
    ],
    [404, "This invite link is not valid. Ask for a new one."],
  ])("shows the server's sentence when accepting fails (%i)", async (status, detail) => {
    server(signedIn, { [`/api/invites/${TOKEN}/accept`]: methods({ post: () => json({ detail }, status) }) });
    const user = userEvent.setup();
    const { router } = renderApp(`/invites/${TOKEN}`);

    await user.click(await screen.findByRole("button", { name: "Accept and join Acme" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(detail);
    expect(router.state.location.pathname).toBe(`/invites/${TOKEN}`);
  });

  it("shows the server's sentence for a link that is not valid", async () => {
    server(signedIn, {
      [`/api/invites/${TOKEN}`]: () => json({ detail: "This invite link is not valid. Ask for a new one." }, 404),
    });
    renderApp(`/invites/${TOKEN}`);

    expect(await screen.findByRole("alert")).toHaveTextContent("This invite link is not valid. Ask for a new one.");
    expect(screen.queryByRole("button", { name: /Accept/ })).not.toBeInTheDocument();
  });

  it("offers no Accept for an invite that is no longer pending", async () => {
    server(signedIn, { [`/api/invites/${TOKEN}`]: () => json({ ...PREVIEW, status: "expired" }) });
    renderApp(`/invites/${TOKEN}`);

    expect(await screen.findByRole("alert")).toHaveTextContent("This invite is expired. Ask for a new one.");
    expect(screen.queryByRole("button", { name: /Accept/ })).not.toBeInTheDocument();
  });

  it("leads back to the invite after signing in with a one-time link, which lands on the home page", async () => {
    server(signedOut);
    renderApp(`/invites/${TOKEN}`);
    await screen.findByRole("heading", { level: 1, name: "You have been invited to an org" });
    cleanup();

    server(signedIn, { "/api/orgs": () => json([]) });
    const user = userEvent.setup();
    renderApp("/");

    const waiting = await screen.findByRole("region", { name: "Invite waiting" });
    expect(waiting).toHaveTextContent("You opened an invite link before signing in.");
    await user.click(within(waiting).getByRole("link", { name: "Open the invite" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Join Acme" })).toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Go to your orgs" }));
    await screen.findByRole("heading", { level: 1, name: "Your orgs" });
    expect(screen.queryByRole("region", { name: "Invite waiting" })).not.toBeInTheDocument();
  });
});
