import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { Org } from "@/api/client";
import { anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp, setCsrfCookie } from "@/test/render";

const healthy = () => json({ status: "ok", version: "1.2.3" });
const ready = () => json({ status: "ready", checks: { database: "ok" } });

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

/** A signed-in user's view of the server, holding `orgs`; `create` answers POST /api/orgs. */
function server(orgs: Org[], create?: Handler, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs": methods({ get: () => json(orgs), ...(create ? { post: create } : {}) }),
    "/health": healthy,
    "/ready": ready,
    ...extra,
  });
}

describe("your orgs (signed-in home page)", () => {
  it("lists my orgs with my role in each, and keeps the server status in view", async () => {
    server([
      anOrg(),
      anOrg({ id: "b", name: "Beta Team", slug: "beta", role: "viewer" }),
      anOrg({ id: "c", name: "Gone Ltd", slug: "gone", role: "member", deleted_at: "2025-02-01T00:00:00Z" }),
    ]);
    renderApp("/");

    const list = await screen.findByRole("list", { name: "Your orgs" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("Acme");
    expect(items[0]).toHaveTextContent("Owner");
    expect(within(items[0]).getByRole("link")).toHaveAttribute("href", "/orgs/acme");
    expect(items[1]).toHaveTextContent("Beta Team");
    expect(items[1]).toHaveTextContent("Viewer");
    // A member cannot restore a deleted org, so it is not shown at all.
    expect(screen.queryByText("Gone Ltd")).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Deleted orgs" })).not.toBeInTheDocument();
    expect(
      await within(screen.getByRole("region", { name: "Server status" })).findByText("Server healthy"),
    ).toBeVisible();
    expect(screen.queryByTestId("sign-in")).not.toBeInTheDocument();
  });

  it("says what to do when I am in no org", async () => {
    server([]);
    renderApp("/");

    expect(
      await screen.findByText(
        "You are not in any org yet. Create one, or ask an admin of your team's org for an invite link.",
      ),
    ).toBeInTheDocument();
  });

  it("creates an org (with the CSRF header) and opens it", async () => {
    clearCookie = setCsrfCookie("csrf-xyz");
    const orgs: Org[] = [];
    const bodies: unknown[] = [];
    const fetchMock = server(
      orgs,
      async (request) => {
        const body = (await request.json()) as { name: string; slug?: string };
        bodies.push(body);
        const org = anOrg({ id: "n", name: body.name, slug: body.slug ?? "x" });
        orgs.push(org);
        return json(org, 201);
      },
      { "/api/orgs/new-co": () => json(orgs[0]), "/api/orgs/new-co/members": () => json([]) },
    );
    const user = userEvent.setup();
    const { router } = renderApp("/");

    const form = await screen.findByRole("form", { name: "Create an org" });
    await user.type(within(form).getByLabelText("Name"), "New Co");
    await user.type(within(form).getByLabelText(/^Slug/), "new-co");
    await user.click(within(form).getByRole("button", { name: "Create org" }));

    expect(await screen.findByRole("heading", { level: 1, name: "New Co" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/orgs/new-co");
    expect(bodies).toEqual([{ name: "New Co", slug: "new-co" }]);

    const requests = fetchMock.mock.calls.map(([input]) => input as Request);
    const writes = requests.filter((r) => r.method !== "GET");
    const reads = requests.filter((r) => r.method === "GET");
    expect(writes.map((r) => [r.method, new URL(r.url).pathname, r.headers.get("X-CSRF-Token")])).toEqual([
      ["POST", "/api/orgs", "csrf-xyz"],
    ]);
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.headers.has("X-CSRF-Token")).toBe(false);
  });

  it("leaves the slug out when none is given", async () => {
    const bodies: unknown[] = [];
    server([], async (request) => {
      bodies.push(await request.json());
      return json({ detail: "Stop here." }, 409);
    });
    const user = userEvent.setup();
    renderApp("/");

    await user.type(await screen.findByLabelText("Name"), "Acme");
    await user.click(screen.getByRole("button", { name: "Create org" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Stop here.");
    expect(bodies).toEqual([{ name: "Acme" }]);
  });

  it.each([
    [422, "Invalid request — body.name: String should have at most 100 characters."],
    [409, "The slug 'acme' is taken; choose another."],
  ])("shows the server's sentence when it refuses (%i) and stays on the form", async (status, detail) => {
    server([], () => json({ detail }, status));
    const user = userEvent.setup();
    const { router } = renderApp("/");

    await user.type(await screen.findByLabelText("Name"), "Acme");
    await user.type(screen.getByLabelText(/^Slug/), "acme");
    await user.click(screen.getByRole("button", { name: "Create org" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(detail);
    expect(router.state.location.pathname).toBe("/");
    expect(screen.getByLabelText("Name")).toHaveValue("Acme");
  });

  it("explains a malformed slug without asking the server", async () => {
    const fetchMock = server([], () => json(anOrg(), 201));
    const user = userEvent.setup();
    renderApp("/");

    await user.type(await screen.findByLabelText("Name"), "Acme");
    await user.type(screen.getByLabelText(/^Slug/), "Acme Corp!");
    await user.click(screen.getByRole("button", { name: "Create org" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "The slug can use only lowercase letters, digits and dashes, must start and end with a letter or digit, and be at most 48 characters.",
    );
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "POST")).toBe(false);
  });

  it("lists deleted orgs for their owners, who can restore them", async () => {
    const orgs = [
      anOrg({
        id: "c",
        name: "Gone Ltd",
        slug: "gone",
        deleted_at: "2025-02-01T00:00:00Z",
        restorable_until: "2025-03-03T00:00:00Z",
      }),
    ];
    server(orgs, undefined, {
      "/api/orgs/gone/restore": methods({
        post: () => {
          orgs[0] = { ...orgs[0], deleted_at: null };
          return json(orgs[0]);
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/");

    const deleted = await screen.findByRole("region", { name: "Deleted orgs" });
    expect(within(deleted).getByText("Gone Ltd")).toBeInTheDocument();
    expect(within(deleted).getByTestId("deleted-org-dates")).toHaveTextContent(
      /deleted .*2025 · restorable until .*2025/,
    );
    expect(screen.queryByRole("list", { name: "Your orgs" })).not.toBeInTheDocument();

    await user.click(within(deleted).getByRole("button", { name: "Restore Gone Ltd" }));

    const list = await screen.findByRole("list", { name: "Your orgs" });
    expect(within(list).getByText("Gone Ltd")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Deleted orgs" })).not.toBeInTheDocument();
  });
});
