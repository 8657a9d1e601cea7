import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Invite, InviteCreated } from "@/api/client";
import { aMember, anInvite, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const URL_ONCE = "http://127.0.0.1:8000/invites/tok_secret_123";

function server(invites: Invite[], create: Handler, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: "admin" })),
    "/api/orgs/acme/members": () => json([aMember({ role: "admin" })]),
    "/api/orgs/acme/invites": methods({ get: () => json(invites), post: create }),
    ...extra,
  });
}

describe("invites", () => {
  it("creates an invite and shows its link once, never again", async () => {
    const invites: Invite[] = [];
    const bodies: unknown[] = [];
    server(invites, async (request) => {
      bodies.push(await request.json());
      const invite = anInvite({ role: "admin", email: "dev@example.com", expires_at: "2025-01-05T03:04:05Z" });
      invites.push(invite);
      return json({ ...invite, token: "tok_secret_123", url: URL_ONCE } satisfies InviteCreated, 201);
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/invites");

    expect(await screen.findByText("No invites yet.")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Invite someone" });
    // An admin cannot invite an owner.
    expect(within(form).getByLabelText("Role")).not.toContainElement(
      within(form).queryByRole("option", { name: "Owner" }),
    );
    await user.selectOptions(within(form).getByLabelText("Role"), "admin");
    await user.type(within(form).getByLabelText(/^Email/), "dev@example.com");
    await user.clear(within(form).getByLabelText("Expires after (days)"));
    await user.type(within(form).getByLabelText("Expires after (days)"), "3");
    await user.click(within(form).getByRole("button", { name: "Create invite link" }));

    const created = await screen.findByRole("region", { name: "New invite link" });
    expect(created).toHaveTextContent("Copy this invite link now: it is shown only once.");
    expect(within(created).getByLabelText("Invite link")).toHaveValue(URL_ONCE);
    expect(within(created).getByRole("button", { name: "Copy invite link" })).toBeInTheDocument();
    expect(bodies).toEqual([{ role: "admin", email: "dev@example.com", expires_in_days: 3 }]);
    // The list now has the invite, without its link.
    const row = await screen.findByTestId("invite-row");
    expect(row).toHaveTextContent("dev@example.com");
    expect(row).toHaveTextContent("Admin");
    expect(row).toHaveTextContent("pending");

    // Leave the page and come back: the link is gone for good.
    await user.click(screen.getByRole("link", { name: "Members" }));
    await screen.findByRole("heading", { level: 2, name: "Members" });
    await user.click(screen.getByRole("link", { name: "Invites" }));
    expect(await screen.findByTestId("invite-row")).toHaveTextContent("dev@example.com");
    expect(screen.queryByRole("region", { name: "New invite link" })).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue(URL_ONCE)).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent("tok_secret_123");
  });

  it("hides the link when the user is done with it", async () => {
    server([], () => json({ ...anInvite(), token: "tok_secret_123", url: URL_ONCE }, 201));
    const user = userEvent.setup();
    renderApp("/orgs/acme/invites");

    await user.click(await screen.findByRole("button", { name: "Create invite link" }));
    const created = await screen.findByRole("region", { name: "New invite link" });
    await user.click(within(created).getByRole("button", { name: "Done" }));

    expect(screen.queryByDisplayValue(URL_ONCE)).not.toBeInTheDocument();
  });

  it("shows the server's sentence when it refuses", async () => {
    const sentence =
      "Invalid request — body.email: value is not a valid email address: An email address must have an @-sign.";
    server([], () => json({ detail: sentence }, 422));
    const user = userEvent.setup();
    renderApp("/orgs/acme/invites");

    await user.type(await screen.findByLabelText(/^Email/), "not-an-email");
    await user.click(screen.getByRole("button", { name: "Create invite link" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(screen.queryByRole("region", { name: "New invite link" })).not.toBeInTheDocument();
  });

  it("keeps the expiry within 1 to 30 days", async () => {
    const fetchMock = server([], () => json({}, 500));
    const user = userEvent.setup();
    renderApp("/orgs/acme/invites");

    const days = await screen.findByLabelText("Expires after (days)");
    await user.clear(days);
    await user.type(days, "45");
    await user.click(screen.getByRole("button", { name: "Create invite link" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("An invite can last from 1 to 30 days.");
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "POST")).toBe(false);
  });

  it("revokes a pending invite", async () => {
    const invites = [anInvite({ email: "x@example.com" })];
    const revoked: string[] = [];
    server(invites, () => json({}, 500), {
      [`/api/orgs/acme/invites/${invites[0].id}`]: methods({
        delete: (request) => {
          revoked.push(request.method);
          invites[0] = { ...invites[0], status: "revoked" };
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/invites");

    await user.click(await screen.findByRole("button", { name: "Revoke the invite for x@example.com" }));
    await user.click(
      within(screen.getByRole("group", { name: "Revoke this invite?" })).getByRole("button", { name: "Revoke" }),
    );

    await waitFor(() => expect(screen.getByTestId("invite-row")).toHaveTextContent("revoked"));
    expect(revoked).toEqual(["DELETE"]);
    expect(screen.queryByRole("button", { name: /Revoke/ })).not.toBeInTheDocument();
  });
});
