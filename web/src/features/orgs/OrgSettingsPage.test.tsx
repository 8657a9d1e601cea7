import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Org, Role } from "@/api/client";
import { aMember, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

function server(role: Role, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs": () => json([]),
    "/api/orgs/acme": methods({ get: () => json(anOrg({ role })) }),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    ...extra,
  });
}

describe("org settings", () => {
  it("says a new name is too long instead of cutting it, and does not send it", async () => {
    const patches: unknown[] = [];
    server("owner", {
      "/api/orgs/acme": methods({
        get: () => json(anOrg()),
        patch: async (request) => {
          patches.push(await request.json());
          return json(anOrg());
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/settings");

    const form = await screen.findByRole("form", { name: "Name and slug" });
    const name = within(form).getByLabelText("Name");
    await user.clear(name);
    await user.click(name);
    await user.paste("y".repeat(101));

    expect(name).toHaveValue("y".repeat(101));
    expect(name).toHaveAccessibleDescription("The name can be at most 100 characters; this one has 101. Shorten it.");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(patches).toEqual([]);
  });

  it("renames the org and follows its new slug", async () => {
    let org: Org = anOrg();
    const patches: unknown[] = [];
    server("owner", {
      "/api/orgs/acme": methods({
        get: () => json(org),
        patch: async (request) => {
          patches.push(await request.json());
          org = { ...org, name: "Acme Inc", slug: "acme-inc" };
          return json(org);
        },
      }),
      "/api/orgs/acme-inc": () => json(org),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/settings");

    const form = await screen.findByRole("form", { name: "Name and slug" });
    await user.clear(within(form).getByLabelText("Name"));
    await user.type(within(form).getByLabelText("Name"), "Acme Inc");
    await user.clear(within(form).getByLabelText("Slug"));
    await user.type(within(form).getByLabelText("Slug"), "acme-inc");
    await user.click(within(form).getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Acme Inc" })).toBeInTheDocument();
    expect(patches).toEqual([{ name: "Acme Inc", slug: "acme-inc" }]);
    expect(router.state.location.pathname).toBe("/orgs/acme-inc/settings");
    expect(await within(form).findByRole("status")).toHaveTextContent("Saved.");
  });

  it("shows the server's sentence when the slug is taken", async () => {
    server("admin", {
      "/api/orgs/acme": methods({
        get: () => json(anOrg({ role: "admin" })),
        patch: () => json({ detail: "The slug 'beta' is taken; choose another." }, 409),
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/settings");

    const slug = await screen.findByLabelText("Slug");
    await user.clear(slug);
    await user.type(slug, "beta");
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The slug 'beta' is taken; choose another.");
    // An admin cannot delete the org.
    expect(screen.queryByRole("button", { name: "Delete org" })).not.toBeInTheDocument();
  });

  it("deletes the org only once its name is typed, then goes home", async () => {
    const deletes: string[] = [];
    server("owner", {
      "/api/orgs/acme": methods({
        get: () => json(anOrg()),
        delete: (request) => {
          deletes.push(request.method);
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/settings");

    const button = await screen.findByRole("button", { name: "Delete org" });
    expect(button).toBeDisabled();
    const confirm = screen.getByLabelText("Type the org's name Acme to confirm");
    await user.type(confirm, "acme");
    expect(button).toBeDisabled(); // the slug, or the name in another case, is not the name
    await user.clear(confirm);
    await user.type(confirm, "Acm");
    expect(button).toBeDisabled();
    await user.type(confirm, "e");
    await user.click(button);

    expect(await screen.findByRole("heading", { level: 1, name: "Your orgs" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    expect(deletes).toEqual(["DELETE"]);
  });

  it("shows why the last owner cannot leave", async () => {
    const sentence = "Acme must keep at least one owner: make someone else an owner first.";
    server("owner", { "/api/orgs/acme/leave": methods({ post: () => json({ detail: sentence }, 409) }) });
    const user = userEvent.setup();
    renderApp("/orgs/acme/settings");

    await user.click(await screen.findByRole("button", { name: "Leave org" }));
    await user.click(within(screen.getByRole("group", { name: "Leave Acme?" })).getByRole("button", { name: "Leave" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
  });

  it("lets a viewer only leave", async () => {
    server("viewer", { "/api/orgs/acme/leave": methods({ post: noContent }) });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/settings");

    await user.click(await screen.findByRole("button", { name: "Leave org" }));
    expect(screen.queryByRole("form", { name: "Name and slug" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete org" })).not.toBeInTheDocument();
    await user.click(within(screen.getByRole("group", { name: "Leave Acme?" })).getByRole("button", { name: "Leave" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Your orgs" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
  });
});
