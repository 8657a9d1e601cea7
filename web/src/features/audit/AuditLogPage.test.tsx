import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { AuditEvent } from "@/api/client";
import { aMember, anAuditEvent, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, renderApp } from "@/test/render";

const NEWEST = anAuditEvent({
  id: "e3",
  action: "api_key.create",
  target: { type: "api_key", id: "k1", label: "Deploy bot" },
  details: { role: "member" },
  created_at: "2025-01-03T10:00:00Z",
});
const MIDDLE = anAuditEvent({
  id: "e2",
  action: "member.role_change",
  actor: { type: "api_key", id: "k9", label: "CI key" },
  target: { type: "user", id: "u2", label: "bob" },
  details: { from: "member", to: "admin" },
  created_at: "2025-01-02T10:00:00Z",
});
const OLDEST = anAuditEvent({ id: "e1", created_at: "2025-01-01T10:00:00Z" });

function server(audit: Handler) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg()),
    "/api/orgs/acme/members": () => json([aMember()]),
    "/api/orgs/acme/audit": audit,
  });
}

function page(items: AuditEvent[], next_cursor: string | null) {
  return json({ items, next_cursor });
}

function auditQueries(fetchMock: ReturnType<typeof fakeServer>) {
  return fetchMock.mock.calls
    .map(([input]) => new URL((input as Request).url))
    .filter((url) => url.pathname === "/api/orgs/acme/audit")
    .map((url) => Object.fromEntries(url.searchParams));
}

describe("audit log", () => {
  it("shows the newest events and loads older ones with next_cursor", async () => {
    const fetchMock = server((request) => {
      const cursor = new URL(request.url).searchParams.get("cursor");
      if (cursor === null) return page([NEWEST, MIDDLE], "cursor-after-e2");
      if (cursor === "cursor-after-e2") return page([OLDEST], null);
      return json({ detail: "The cursor is not valid." }, 400);
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/audit");

    let rows = await screen.findAllByTestId("audit-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("mona");
    expect(rows[0]).toHaveTextContent("Created an API key: Deploy bot");
    expect(rows[0]).toHaveTextContent("role: member");
    expect(rows[1]).toHaveTextContent("CI key");
    expect(rows[1]).toHaveTextContent("API key");
    expect(rows[1]).toHaveTextContent("Changed a member's role: bob");
    expect(rows[1]).toHaveTextContent("member → admin");

    await user.click(screen.getByRole("button", { name: "Load more" }));

    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(3));
    rows = screen.getAllByTestId("audit-row");
    expect(rows[2]).toHaveTextContent("Created the org: Acme");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(auditQueries(fetchMock)).toEqual([{ limit: "50" }, { limit: "50", cursor: "cursor-after-e2" }]);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("filters by action", async () => {
    const fetchMock = server((request) => {
      const action = new URL(request.url).searchParams.get("action");
      return action === "api_key.create" ? page([NEWEST], null) : page([NEWEST, MIDDLE, OLDEST], null);
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/audit");

    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(3));
    await user.selectOptions(screen.getByLabelText("Action"), "Created an API key");

    await waitFor(() => expect(screen.getAllByTestId("audit-row")).toHaveLength(1));
    expect(within(screen.getByTestId("audit-row")).getByText("api_key.create")).toBeInTheDocument();
    expect(auditQueries(fetchMock).at(-1)).toEqual({ limit: "50", action: "api_key.create" });
  });

  it("shows the server's sentence when it refuses", async () => {
    server(() => json({ detail: "This needs the admin role or higher in Acme; you are member." }, 403));
    renderApp("/orgs/acme/audit");

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This needs the admin role or higher in Acme; you are member.",
    );
  });
});
