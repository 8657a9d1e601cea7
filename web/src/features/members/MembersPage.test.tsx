import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Member, Role } from "@/api/client";
import { aMember, anOrg, ME, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const BOB = aMember({
  user_id: "00000000-0000-4000-8000-000000000002",
  login: "bob",
  name: null,
  email: "bob@example.com",
  role: "member",
});

function server(myRole: Role, members: Member[], extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: myRole })),
    "/api/orgs/acme/members": () => json(members),
    ...extra,
  });
}

function rowOf(login: string): HTMLElement {
  const row = screen.getAllByTestId("member-row").find((r) => within(r).queryByText(login));
  if (!row) throw new Error(`no row for ${login}`);
  return row;
}

describe("members", () => {
  it("lists the members with their roles, me marked", async () => {
    server("owner", [aMember(), BOB]);
    renderApp("/orgs/acme/members");

    expect(await screen.findByRole("heading", { level: 2, name: "Members" })).toBeInTheDocument();
    await screen.findByText("bob");
    expect(rowOf("mona")).toHaveTextContent("(you)");
    expect(within(rowOf("mona")).getByLabelText("Role of mona")).toHaveValue("owner");
    expect(within(rowOf("bob")).getByLabelText("Role of bob")).toHaveValue("member");
    expect(rowOf("bob")).toHaveTextContent("bob@example.com");
  });

  it("changes a member's role only once asked and confirmed, and says so", async () => {
    const members = [aMember(), BOB];
    const patches: unknown[] = [];
    server("owner", members, {
      [`/api/orgs/acme/members/${BOB.user_id}`]: methods({
        patch: async (request) => {
          const body = (await request.json()) as { role: Role };
          patches.push(body);
          members[1] = { ...members[1], role: body.role };
          return json(members[1]);
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/members");

    await user.selectOptions(await screen.findByLabelText("Role of bob"), "admin");

    // Nothing changes until the question is answered.
    const question = screen.getByRole("alertdialog", { name: /Make bob an admin of Acme\?/ });
    expect(question).toHaveTextContent("Admins: members, invites, channels");
    expect(patches).toEqual([]);
    await user.click(within(question).getByRole("button", { name: "Make an admin" }));

    expect(patches).toEqual([{ role: "admin" }]);
    await waitFor(() => expect(screen.getByLabelText("Role of bob")).toHaveValue("admin"));
    expect(screen.getByRole("status")).toHaveTextContent("bob is now an admin.");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("asks before making someone an owner, and Cancel changes nothing", async () => {
    const patches: unknown[] = [];
    server("owner", [aMember(), BOB], {
      [`/api/orgs/acme/members/${BOB.user_id}`]: methods({
        patch: async (request) => {
          patches.push(await request.json());
          return json({ ...BOB, role: "owner" });
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/members");

    await user.selectOptions(await screen.findByLabelText("Role of bob"), "owner");

    const question = screen.getByRole("alertdialog", { name: /Make bob an owner of Acme\?/ });
    expect(question).toHaveTextContent("An owner can change or remove other owners, you included.");
    await user.click(within(question).getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(patches).toEqual([]);
    expect(screen.getByLabelText("Role of bob")).toHaveValue("member");
  });

  it("shows the server's sentence when the change would leave no owner, and keeps the role", async () => {
    const sentence = "Acme must keep at least one owner: make someone else an owner first.";
    server("owner", [aMember(), BOB], {
      [`/api/orgs/acme/members/${ME.id}`]: methods({ patch: () => json({ detail: sentence }, 409) }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/members");

    await user.selectOptions(await screen.findByLabelText("Role of mona"), "admin");
    const question = screen.getByRole("alertdialog", { name: /Make yourself an admin of Acme\?/ });
    expect(question).toHaveTextContent("You cannot give yourself the owner role back");
    await user.click(within(question).getByRole("button", { name: "Make an admin" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(screen.getByLabelText("Role of mona")).toHaveValue("owner");
  });

  it("removes a member after asking", async () => {
    let members = [aMember(), BOB];
    const deletes: string[] = [];
    server("owner", members, {
      "/api/orgs/acme/members": () => json(members),
      [`/api/orgs/acme/members/${BOB.user_id}`]: methods({
        delete: (request) => {
          deletes.push(request.url);
          members = members.filter((m) => m.user_id !== BOB.user_id);
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/members");

    await user.click(await screen.findByRole("button", { name: "Remove bob" }));
    expect(deletes).toEqual([]);
    const confirm = screen.getByRole("group", { name: "Remove bob from Acme?" });
    await user.click(within(confirm).getByRole("button", { name: "Remove" }));

    await waitFor(() => expect(screen.queryByText("bob")).not.toBeInTheDocument());
    expect(deletes).toHaveLength(1);
  });

  it("lets an admin change members but not owners, nor grant owner", async () => {
    server("admin", [aMember(), BOB]);
    renderApp("/orgs/acme/members");

    const bobRole = await screen.findByLabelText("Role of bob");
    expect(within(bobRole).getByRole("option", { name: "Owner" })).toBeDisabled();
    expect(within(bobRole).getByRole("option", { name: "Admin" })).toBeEnabled();
    expect(within(rowOf("mona")).queryByRole("combobox")).not.toBeInTheDocument();
    expect(within(rowOf("mona")).getByTestId("member-role")).toHaveTextContent("Owner");
    expect(within(rowOf("mona")).queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
  });

  it("shows a viewer the members only, and no admin sections", async () => {
    server("viewer", [aMember({ role: "viewer" }), BOB]);
    renderApp("/orgs/acme/members");

    await screen.findByText("bob");
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
    const tabs = screen.getByRole("navigation", { name: "Org sections" });
    expect(
      within(tabs)
        .getAllByRole("link")
        .map((link) => link.textContent),
    ).toEqual(["Dashboard", "Members", "Monitors", "Digests", "Billing", "Settings"]);
  });

  it("says so when a member opens an admin section directly", async () => {
    server("member", [aMember({ role: "member" })]);
    renderApp("/orgs/acme/api-keys");

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This needs the admin role or higher in Acme; you are member.",
    );
  });
});
