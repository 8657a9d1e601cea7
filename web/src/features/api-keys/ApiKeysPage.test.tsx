import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { ApiKey, ApiKeyCreated } from "@/api/client";
import { aMember, anApiKey, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const SECRET = "isk_AbCdEfGh_the_rest_of_the_secret";

function server(keys: ApiKey[], create: Handler, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg()),
    "/api/orgs/acme/members": () => json([aMember()]),
    "/api/orgs/acme/api-keys": methods({ get: () => json(keys), post: create }),
    ...extra,
  });
}

describe("API keys", () => {
  it("shows a new key once, with a copy button and a warning, then only its hint", async () => {
    const keys: ApiKey[] = [];
    const bodies: unknown[] = [];
    server(keys, async (request) => {
      bodies.push(await request.json());
      const key = anApiKey({ name: "Deploy bot", role: "member", hint: "isk_AbCd" });
      keys.push(key);
      return json({ ...key, key: SECRET } satisfies ApiKeyCreated, 201);
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/api-keys");

    expect(await screen.findByText("No API keys yet.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Name"), "Deploy bot");
    await user.selectOptions(screen.getByLabelText("Role"), "member");
    await user.click(screen.getByRole("button", { name: "Create API key" }));

    const created = await screen.findByRole("region", { name: "New API key" });
    expect(created).toHaveTextContent("Copy the key for “Deploy bot” now: it will not be shown again.");
    expect(within(created).getByLabelText("API key")).toHaveValue(SECRET);
    expect(bodies).toEqual([{ name: "Deploy bot", role: "member" }]);

    await user.click(within(created).getByRole("button", { name: "Copy api key" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(created).getByRole("status")).toHaveTextContent("Copied to the clipboard.");

    // The list shows the key by its hint only.
    expect(await screen.findByTestId("api-key-hint")).toHaveTextContent("isk_AbCd…");

    await user.click(screen.getByRole("link", { name: "Audit log" }));
    await screen.findByRole("heading", { level: 2, name: "Audit log" });
    await user.click(screen.getByRole("link", { name: "API keys" }));
    expect(await screen.findByTestId("api-key-row")).toHaveTextContent("Deploy bot");
    expect(screen.getByTestId("api-key-hint")).toHaveTextContent("isk_AbCd…");
    expect(screen.queryByRole("region", { name: "New API key" })).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
  });

  it("asks for a name before asking the server", async () => {
    const fetchMock = server([], () => json({}, 500));
    const user = userEvent.setup();
    renderApp("/orgs/acme/api-keys");

    await user.click(await screen.findByRole("button", { name: "Create API key" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Give the key a name, such as the program that will use it.",
    );
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === "POST")).toBe(false);
  });

  it("shows the server's sentence when it refuses", async () => {
    const sentence = "You cannot create a owner key: it is above your own role.";
    server([], () => json({ detail: sentence }, 403));
    const user = userEvent.setup();
    renderApp("/orgs/acme/api-keys");

    await user.type(await screen.findByLabelText("Name"), "Too strong");
    await user.click(screen.getByRole("button", { name: "Create API key" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
  });

  it("revokes a key after asking", async () => {
    let keys = [anApiKey()];
    server(keys, () => json({}, 500), {
      "/api/orgs/acme/api-keys": methods({ get: () => json(keys) }),
      [`/api/orgs/acme/api-keys/${keys[0].id}`]: methods({
        delete: () => {
          keys = [];
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/api-keys");

    await user.click(await screen.findByRole("button", { name: "Revoke CI" }));
    const confirm = screen.getByRole("group", { name: "Revoke CI? Programs using it stop working." });
    await user.click(within(confirm).getByRole("button", { name: "Revoke" }));

    await waitFor(() => expect(screen.getByText("No API keys yet.")).toBeInTheDocument());
  });
});
