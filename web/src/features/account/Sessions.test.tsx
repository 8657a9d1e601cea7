import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { components } from "@/api/schema";
import { signedIn } from "@/test/fixtures";
import { fakeServer, json, methods, noContent, renderApp, setCsrfCookie } from "@/test/render";

type Session = components["schemas"]["SessionOut"];

function aSession(overrides: Partial<Session> = {}): Session {
  return {
    id: "00000000-0000-4000-8000-00000000c001",
    current: true,
    device: "Chrome on macOS",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/131.0 Safari/537.36",
    ip: "198.51.100.4",
    created_at: "2026-12-01T09:00:00Z",
    last_seen_at: "2026-12-03T09:00:00Z",
    expires_at: "2026-12-17T09:00:00Z",
    ...overrides,
  };
}

const HERE = aSession();
const LAPTOP = aSession({ id: "00000000-0000-4000-8000-00000000c002", current: false, device: "Firefox on Linux" });
const PHONE = aSession({ id: "00000000-0000-4000-8000-00000000c003", current: false, device: "Safari on iPhone" });

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

function server(sessions: Session[], extra: Record<string, (request: Request) => Response | Promise<Response>> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/me/sessions": () => json(sessions),
    "/api/me/audit": () =>
      json({
        items: [
          {
            id: "a1",
            action: "auth.session_revoked",
            actor: { type: "user", id: null, label: "mona" },
            target: { type: "session", id: "s", label: "session 00000000" },
            details: {},
            ip: "198.51.100.4",
            user_agent: null,
            created_at: "2026-12-03T09:01:00Z",
          },
        ],
        next_cursor: null,
      }),
    ...extra,
  });
}

function rowOf(device: string): HTMLElement {
  const row = screen.getAllByTestId("session-row").find((r) => within(r).queryByText(device));
  if (!row) throw new Error(`no row for ${device}`);
  return row;
}

describe("my sessions", () => {
  it("lists where I am signed in, this browser marked and not offered for sign-out", async () => {
    server([HERE, LAPTOP]);
    renderApp("/settings");

    const list = await screen.findByRole("list", { name: "Your sessions" });
    expect(within(list).getAllByTestId("session-row")).toHaveLength(2);
    expect(rowOf("Chrome on macOS")).toHaveTextContent("This browser");
    expect(within(rowOf("Chrome on macOS")).queryByRole("button", { name: /Sign out/ })).not.toBeInTheDocument();
    expect(rowOf("Firefox on Linux")).toHaveTextContent("from 198.51.100.4");
    expect(rowOf("Firefox on Linux")).not.toHaveTextContent("This browser");
    // My own audit trail is on the same page.
    expect(await screen.findByTestId("activity-row")).toHaveTextContent("Signed out another session");
  });

  it("signs another session out after asking, and says so", async () => {
    clearCookie = setCsrfCookie("csrf-1");
    let sessions = [HERE, LAPTOP, PHONE];
    const deleted: string[] = [];
    server(sessions, {
      "/api/me/sessions": () => json(sessions),
      [`/api/me/sessions/${LAPTOP.id}`]: methods({
        delete: (request) => {
          deleted.push(request.headers.get("X-CSRF-Token") ?? "");
          sessions = sessions.filter((s) => s.id !== LAPTOP.id);
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Sign out Firefox on Linux" }));
    expect(deleted).toEqual([]);
    const question = screen.getByRole("group", { name: "Sign out Firefox on Linux?" });
    await user.click(within(question).getByRole("button", { name: "Sign out" }));

    await waitFor(() => expect(screen.queryByText("Firefox on Linux")).not.toBeInTheDocument());
    expect(deleted).toEqual(["csrf-1"]);
    expect(screen.getByText("Signed out that session: it can do nothing more.")).toBeInTheDocument();
    expect(screen.getByText("Safari on iPhone")).toBeInTheDocument();
  });

  it("signs out everywhere else at once", async () => {
    let sessions = [HERE, LAPTOP, PHONE];
    server(sessions, {
      "/api/me/sessions": () => json(sessions),
      "/api/me/sessions/sign-out-others": methods({
        post: () => {
          sessions = [HERE];
          return json({ revoked: 2 });
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Sign out everywhere else" }));
    const question = screen.getByRole("group", { name: "Sign out 2 other sessions?" });
    await user.click(within(question).getByRole("button", { name: "Sign them out" }));

    expect(await screen.findByText("Signed out 2 other sessions.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("session-row")).toHaveLength(1));
    expect(screen.queryByRole("button", { name: "Sign out everywhere else" })).not.toBeInTheDocument();
  });

  it("says why a sign-out was refused", async () => {
    server([HERE, LAPTOP], {
      [`/api/me/sessions/${LAPTOP.id}`]: methods({
        delete: () => json({ detail: "No such session: it has ended already, or it is not yours." }, 404),
      }),
    });
    const user = userEvent.setup();
    renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Sign out Firefox on Linux" }));
    await user.click(within(screen.getByRole("group")).getByRole("button", { name: "Sign out" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("No such session: it has ended already");
  });
});
