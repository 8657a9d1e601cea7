import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Me } from "@/api/client";
import { aCredential, aServer, ME } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp, setCsrfCookie } from "@/test/render";

import { exportFileName } from "./queries";

/**
 * The start of `GET /api/me/export` as the server answers it (compliance/router.py): a JSON
 * download named by `Content-Disposition`, `schema_version` 1.
 */
const EXPORT = {
  schema_version: 1,
  exported_at: "2026-12-03T09:00:00Z",
  profile: { id: ME.id, login: ME.login, name: ME.name, email: ME.email },
  memberships: [],
  audit: [],
  digests: [],
  github: null,
  email_channels: [],
};

function exportAnswer() {
  return new Response(JSON.stringify(EXPORT), {
    headers: {
      "Content-Type": "application/json",
      "Content-Disposition": 'attachment; filename="infrasync-export-mona.json"',
    },
  });
}

let clearCookie: (() => void) | undefined;
const saved: { href: string; download: string; text: Promise<string> }[] = [];
const blobs = new Map<string, Blob>();

beforeEach(() => {
  saved.length = 0;
  blobs.clear();
  // jsdom has no downloads: record what the page handed the browser to save instead.
  let next = 0;
  vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
    const url = `blob:http://localhost/${++next}`;
    blobs.set(url, blob as Blob);
    return url;
  });
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    const blob = blobs.get(this.href);
    saved.push({ href: this.href, download: this.download, text: blob ? blob.text() : Promise.resolve("") });
  });
});

afterEach(() => {
  clearCookie?.();
  vi.restoreAllMocks();
});

function server(me: Me = ME, extra: Record<string, Handler> = {}) {
  const fetchMock = fakeServer({
    "/api/me": methods({ get: () => json(me) }),
    "/api/server": () => json(aServer()),
    "/api/orgs": () => json([]),
    "/health": () => json({ status: "ok" }),
    "/api/me/sessions": () => json([]),
    "/api/me/audit": () => json({ items: [], next_cursor: null }),
    ...extra,
  });
  const calls = (method: string, path: string) =>
    fetchMock.mock.calls
      .map(([request]) => request as Request)
      .filter((request) => request.method === method && new URL(request.url).pathname === path);
  return { calls };
}

describe("your account settings", () => {
  it("are one click from the account menu, and show the profile", async () => {
    server();
    const user = userEvent.setup();
    const { router } = renderApp("/");

    await user.click(await screen.findByRole("link", { name: "Account" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Your account" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/settings");
    const profile = screen.getByRole("region", { name: "Profile" });
    expect(within(profile).getByTestId("profile-login")).toHaveTextContent("mona");
    expect(within(profile).getByTestId("profile-email")).toHaveTextContent("mona@example.com");
  });

  it("show the GitHub connection with a way to revoke it", async () => {
    clearCookie = setCsrfCookie("csrf-1");
    let github: Me["github"] = aCredential();
    const { calls } = server(ME, {
      "/api/me": methods({ get: () => json({ ...ME, github }) }),
      "/api/me/github": methods({
        delete: () => {
          github = null;
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/settings");

    const connection = await screen.findByRole("region", { name: "GitHub connection" });
    expect(await within(connection).findByTestId("github-connection")).toHaveTextContent(
      "GitHub connected as mona (…AbCd), with private repository access.",
    );
    await user.click(within(connection).getByRole("button", { name: "Disconnect GitHub" }));
    await user.click(within(connection).getByRole("button", { name: "Disconnect" }));

    expect(await within(connection).findByRole("link", { name: "Connect GitHub" })).toBeInTheDocument();
    expect(calls("DELETE", "/api/me/github").map((r) => r.headers.get("X-CSRF-Token"))).toEqual(["csrf-1"]);
  });

  it("download everything about me as the server's JSON file", async () => {
    const { calls } = server(ME, { "/api/me/export": methods({ get: exportAnswer }) });
    const user = userEvent.setup();
    renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Export my data" }));

    const region = screen.getByRole("region", { name: "Export my data" });
    expect(await within(region).findByRole("status")).toHaveTextContent("Downloaded infrasync-export-mona.json.");
    expect(saved.map(({ download }) => download)).toEqual(["infrasync-export-mona.json"]);
    expect(JSON.parse(await saved[0].text)).toEqual(EXPORT);
    expect(calls("GET", "/api/me/export")).toHaveLength(1);
  });

  it("say why an export was refused, and save nothing", async () => {
    const sentence = "Your account is deleted: restore it first (POST /api/me/restore).";
    server(ME, { "/api/me/export": methods({ get: () => json({ detail: sentence }, 403) }) });
    const user = userEvent.setup();
    renderApp("/settings");

    await user.click(await screen.findByRole("button", { name: "Export my data" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(saved).toEqual([]);
  });

  it("delete my account only once my login is typed, and say how to change my mind", async () => {
    clearCookie = setCsrfCookie("csrf-2");
    const { calls } = server(ME, { "/api/me": methods({ get: () => json(ME), delete: noContent }) });
    const user = userEvent.setup();
    const { router } = renderApp("/settings");

    const form = await screen.findByRole("form", { name: "Delete my account" });
    const button = within(form).getByRole("button", { name: "Delete my account" });
    expect(button).toBeDisabled();
    await user.type(within(form).getByLabelText("Type your login mona to confirm"), "Mona");
    expect(button).toBeDisabled();
    expect(calls("DELETE", "/api/me")).toEqual([]);
    await user.clear(within(form).getByLabelText("Type your login mona to confirm"));
    await user.type(within(form).getByLabelText("Type your login mona to confirm"), "mona");
    await user.click(button);

    expect(await screen.findByRole("heading", { level: 1, name: "Your account is deleted" })).toBeInTheDocument();
    expect(screen.getByText(/Sign in with GitHub again within the retention period and confirm/)).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/account/deleted");
    expect(calls("DELETE", "/api/me").map((r) => r.headers.get("X-CSRF-Token"))).toEqual(["csrf-2"]);
    // Signed out here too: the header offers to sign in again.
    expect(screen.queryByRole("link", { name: "Account" })).not.toBeInTheDocument();
  });

  it("show why the last owner of a shared org cannot delete their account", async () => {
    const sentence = "You are the last owner of Acme, which has other members: make one of them an owner first.";
    server(ME, { "/api/me": methods({ get: () => json(ME), delete: () => json({ detail: sentence }, 409) }) });
    const user = userEvent.setup();
    const { router } = renderApp("/settings");

    await user.type(await screen.findByLabelText("Type your login mona to confirm"), "mona");
    await user.click(screen.getByRole("button", { name: "Delete my account" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(router.state.location.pathname).toBe("/settings");
  });
});

describe("restoring a deleted account", () => {
  const DELETED: Me = {
    ...ME,
    deleted_at: "2026-12-01T10:00:00Z",
    restorable_until: "2026-12-31T10:00:00Z",
  };

  it("asks first, wherever the deleted account lands, and brings it back", async () => {
    clearCookie = setCsrfCookie("csrf-3");
    let me: Me = DELETED;
    const { calls } = server(DELETED, {
      "/api/me": methods({ get: () => json(me) }),
      "/api/me/restore": methods({
        post: () => {
          me = { ...ME, deleted_at: null, restorable_until: null };
          return json(me);
        },
      }),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/monitors");

    expect(await screen.findByRole("heading", { level: 1, name: "Restore your account?" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/account/restore");
    expect(screen.getByTestId("restore-question")).toHaveTextContent(
      /You deleted the account mona on .*2026.* You can restore it until .*2026; after that it is deleted for good\./,
    );
    expect(calls("POST", "/api/me/restore")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Restore my account" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Your orgs" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    expect(calls("POST", "/api/me/restore").map((r) => r.headers.get("X-CSRF-Token"))).toEqual(["csrf-3"]);
  });

  it("can keep it deleted and sign out", async () => {
    const { calls } = server(DELETED, { "/auth/logout": methods({ post: noContent }) });
    const user = userEvent.setup();
    renderApp("/account/restore");

    await user.click(await screen.findByRole("button", { name: "Keep it deleted and sign out" }));

    await expect.poll(() => calls("POST", "/auth/logout").length).toBe(1);
    expect(calls("POST", "/api/me/restore")).toEqual([]);
  });

  it("still lets a deleted account read the legal pages", async () => {
    server(DELETED);
    renderApp("/legal/privacy");

    expect(await screen.findByRole("heading", { level: 1, name: "Privacy Policy" })).toBeInTheDocument();
  });

  it("names the export as the server does, or like it", () => {
    expect(exportFileName('attachment; filename="infrasync-export-ada.json"', "mona")).toBe(
      "infrasync-export-ada.json",
    );
    expect(exportFileName(null, "mona")).toBe("infrasync-export-mona.json");
  });
});
