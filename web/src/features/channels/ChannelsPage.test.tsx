import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Channel, ChannelCreated, Role } from "@/api/client";
import { formatDateTime } from "@/lib/format";
import { aChannel, aMember, anAttempt, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const SLACK = aChannel({ monitor_ids: ["00000000-0000-4000-8000-0000000000f1"] });
const GONE = "Slack says this webhook no longer exists (404 no_service): make a new one and change the URL.";
const DISABLED = aChannel({
  id: "00000000-0000-4000-8000-000000000093",
  kind: "discord",
  name: "Releases",
  hint: "discord.com/…/AbC1",
  disabled: true,
  disabled_at: "2025-01-13T00:06:00Z",
  disabled_reason: GONE,
});
const EMAIL = aChannel({
  id: "00000000-0000-4000-8000-000000000094",
  kind: "email",
  name: "Leads",
  hint: "3 addresses",
  addresses: [
    { address: "ada@example.com", status: "active" },
    { address: "bob@example.com", status: "unsubscribed" },
    { address: "cy@example.com", status: "refused" },
  ],
});

function server(role: Role, channels: Channel[], extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/channels": methods({ get: () => json(channels) }),
    ...extra,
  });
}

async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.click(field);
  await user.paste(text);
}

function rowOf(name: string) {
  return screen.findByRole("listitem", { name });
}

describe("Channels", () => {
  it("lists each channel's kind, hint and status, a disabled one with its reason, and each address's status", async () => {
    server("admin", [SLACK, DISABLED, EMAIL]);
    renderApp("/orgs/acme/channels");

    const rows = await screen.findAllByTestId("channel-row");
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByTestId("channel-kind")).toHaveTextContent("Slack");
    expect(within(rows[0]).getByTestId("channel-hint")).toHaveTextContent("hooks.slack.com/…XyZ9");
    expect(within(rows[0]).getByTestId("channel-status")).toHaveTextContent("Active");
    expect(rows[0]).toHaveTextContent("1 monitor sends here.");
    expect(within(rows[0]).getByTestId("channel-last-delivery")).toHaveTextContent("Last delivery: Nothing sent yet");

    expect(within(rows[1]).getByTestId("channel-status")).toHaveTextContent("Disabled");
    const why = within(rows[1]).getByRole("group", { name: "Why Releases is disabled" });
    expect(within(why).getByTestId("channel-disabled-reason")).toHaveTextContent(GONE);
    expect(why).toHaveTextContent(`Disabled ${formatDateTime("2025-01-13T00:06:00Z")}:`);

    const addresses = within(within(rows[2]).getByRole("list", { name: "Addresses of Leads" })).getAllByTestId(
      "channel-address",
    );
    expect(addresses.map((address) => address.textContent)).toEqual([
      "ada@example.comActive",
      "bob@example.comUnsubscribed",
      "cy@example.comRefused by the mail server",
    ]);
  });

  it("re-enables a disabled channel", async () => {
    let channels = [DISABLED];
    const patches: unknown[] = [];
    server("admin", channels, {
      "/api/orgs/acme/channels": methods({ get: () => json(channels) }),
      [`/api/orgs/acme/channels/${DISABLED.id}`]: methods({
        patch: async (request) => {
          patches.push(await request.json());
          channels = [{ ...DISABLED, disabled: false, disabled_at: null, disabled_reason: null }];
          return json(channels[0]);
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const row = await rowOf("Releases");
    await user.click(within(row).getByRole("button", { name: "Re-enable" }));

    expect(await within(row).findByText("Re-enabled Releases.")).toBeInTheDocument();
    expect(patches).toEqual([{ enabled: true }]);
    await waitFor(() => expect(within(row).getByTestId("channel-status")).toHaveTextContent("Active"));
    expect(within(row).queryByTestId("channel-disabled")).not.toBeInTheDocument();
  });

  it("adds a Slack channel, and shows the server's refusal keeping what was typed", async () => {
    const channels: Channel[] = [];
    const bodies: unknown[] = [];
    const refusal = "That is not a Slack incoming webhook URL: it looks like https://hooks.slack.com/services/T…/B…/….";
    server("admin", channels, {
      "/api/orgs/acme/channels": methods({
        get: () => json(channels),
        post: async (request) => {
          const body = (await request.json()) as { name: string; url: string };
          bodies.push(body);
          if (!body.url.includes("/services/")) return json({ detail: refusal }, 422);
          const made = aChannel({ name: body.name });
          channels.push(made);
          return json({ ...made, signing_secret: null } satisfies ChannelCreated, 201);
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const form = await screen.findByRole("form", { name: "Add a channel" });
    expect(within(form).getByLabelText("Kind")).toHaveValue("slack");
    await fill(user, within(form).getByLabelText("Name"), "#eng-digest");
    await fill(user, within(form).getByLabelText("Slack webhook URL"), "https://hooks.slack.com/oops");
    await user.click(within(form).getByRole("button", { name: "Add channel" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(refusal);
    expect(within(form).getByLabelText("Slack webhook URL")).toHaveValue("https://hooks.slack.com/oops");

    await user.clear(within(form).getByLabelText("Slack webhook URL"));
    await fill(user, within(form).getByLabelText("Slack webhook URL"), "https://hooks.slack.com/services/T1/B2/xyz");
    await user.click(within(form).getByRole("button", { name: "Add channel" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("Added #eng-digest.");
    expect(bodies.at(-1)).toEqual({
      kind: "slack",
      name: "#eng-digest",
      url: "https://hooks.slack.com/services/T1/B2/xyz",
    });
    expect(await rowOf("#eng-digest")).toBeInTheDocument();
    expect(within(form).getByLabelText("Name")).toHaveValue("");
    // No secret for Slack.
    expect(screen.queryByRole("region", { name: /Signing secret/ })).not.toBeInTheDocument();
  });

  it("adds an email channel with the addresses given", async () => {
    const bodies: unknown[] = [];
    server("admin", [], {
      "/api/orgs/acme/channels": methods({
        get: () => json([]),
        post: async (request) => {
          bodies.push(await request.json());
          return json({ ...EMAIL, signing_secret: null }, 201);
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const form = await screen.findByRole("form", { name: "Add a channel" });
    await user.selectOptions(within(form).getByLabelText("Kind"), "email");
    await fill(user, within(form).getByLabelText("Name"), "Leads");
    await fill(
      user,
      within(form).getByLabelText("Email addresses"),
      "ada@example.com, bob@example.com\ncy@example.com",
    );
    await user.click(within(form).getByRole("button", { name: "Add channel" }));

    expect(await within(form).findByRole("status")).toHaveTextContent("Added Leads.");
    expect(bodies).toEqual([
      { kind: "email", name: "Leads", addresses: ["ada@example.com", "bob@example.com", "cy@example.com"] },
    ]);
  });

  it("shows a new webhook's signing secret once, with a copy button, until Done", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const hook = aChannel({ id: "00000000-0000-4000-8000-000000000095", kind: "webhook", name: "Ops hook" });
    const channels: Channel[] = [];
    server("admin", channels, {
      "/api/orgs/acme/channels": methods({
        get: () => json(channels),
        post: () => {
          channels.push(hook);
          return json({ ...hook, signing_secret: secret }, 201);
        },
      }),
      [`/api/orgs/acme/channels/${hook.id}/rotate-secret`]: methods({
        post: () => json({ signing_secret: "whsec_second" }),
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const form = await screen.findByRole("form", { name: "Add a channel" });
    await user.selectOptions(within(form).getByLabelText("Kind"), "webhook");
    await fill(user, within(form).getByLabelText("Name"), "Ops hook");
    await fill(user, within(form).getByLabelText("Webhook URL"), "https://ops.example.com/hooks");
    await user.click(within(form).getByRole("button", { name: "Add channel" }));

    const shown = await screen.findByRole("region", { name: "Signing secret of Ops hook" });
    expect(shown).toHaveTextContent("it is shown once and never again");
    expect(within(shown).getByLabelText("Signing secret")).toHaveValue(secret);
    expect(within(shown).getByRole("button", { name: "Copy signing secret" })).toBeInTheDocument();
    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("region", { name: "Signing secret of Ops hook" })).not.toBeInTheDocument();
    expect(screen.queryByDisplayValue(secret)).not.toBeInTheDocument();

    // Rotating asks first, then shows the new secret once.
    const row = await rowOf("Ops hook");
    await user.click(within(row).getByRole("button", { name: "Rotate the signing secret of Ops hook" }));
    const confirm = within(row).getByRole("group", {
      name: "Rotate the signing secret of Ops hook? The old one stops signing at once.",
    });
    await user.click(within(confirm).getByRole("button", { name: "Rotate" }));
    const rotated = await within(row).findByRole("region", { name: "Signing secret of Ops hook" });
    expect(within(rotated).getByLabelText("Signing secret")).toHaveValue("whsec_second");
  });

  it("sends a test message and says how it went, a failure with its reason and the channel disabled", async () => {
    let channel = SLACK;
    let answer: "ok" | "gone" = "ok";
    server("admin", [], {
      "/api/orgs/acme/channels": methods({ get: () => json([channel]) }),
      [`/api/orgs/acme/channels/${SLACK.id}/test`]: methods({
        post: () => {
          if (answer === "ok") return json({ outcome: "delivered", status: 200, error: null, channel });
          channel = { ...SLACK, disabled: true, disabled_at: "2025-01-13T00:06:00Z", disabled_reason: GONE };
          return json({ outcome: "failed", status: 404, error: "no_service", channel });
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const row = await rowOf("#eng-digest");
    await user.click(within(row).getByRole("button", { name: "Send a test message to #eng-digest" }));
    expect(await within(row).findByTestId("channel-test-result")).toHaveTextContent(
      "Test message delivered (status 200).",
    );

    answer = "gone";
    await user.click(within(row).getByRole("button", { name: "Send a test message to #eng-digest" }));
    expect(await within(row).findByRole("alert")).toHaveTextContent(
      "The test message did not go through (status 404): no_service. The channel is now disabled.",
    );
    expect(await within(row).findByTestId("channel-disabled-reason")).toHaveTextContent(GONE);
    expect(within(row).getByTestId("channel-status")).toHaveTextContent("Disabled");
  });

  it("shows the delivery log newest first, a page at a time", async () => {
    const cursors: (string | null)[] = [];
    server("admin", [SLACK], {
      [`/api/orgs/acme/channels/${SLACK.id}/deliveries`]: (request) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        cursors.push(cursor);
        if (cursor === null) {
          return json({
            items: [
              anAttempt({ id: "a3", created_at: "2025-01-13T00:09:00Z" }),
              anAttempt({
                id: "a2",
                created_at: "2025-01-13T00:07:00Z",
                outcome: "retry",
                status: 429,
                error: "rate limited; retry after 2 s",
                duration_ms: 2400,
              }),
            ],
            next_cursor: "page-2",
          });
        }
        return json({
          items: [
            anAttempt({
              id: "a1",
              created_at: "2025-01-13T00:05:00Z",
              outcome: "failed",
              status: 500,
              error: "the receiver answered 500",
            }),
          ],
          next_cursor: null,
        });
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    const row = await rowOf("#eng-digest");
    await user.click(within(row).getByRole("button", { name: "Delivery log of #eng-digest" }));
    const log = await within(row).findByRole("region", { name: "Delivery log of #eng-digest" });
    const cells = async () =>
      (await within(log).findAllByTestId("delivery-row")).map((tr) =>
        within(tr)
          .getAllByRole("cell")
          .map((cell) => cell.textContent),
      );
    expect(await cells()).toEqual([
      [formatDateTime("2025-01-13T00:09:00Z"), "Delivered", "200", "—", "120 ms"],
      [formatDateTime("2025-01-13T00:07:00Z"), "Failed, will retry", "429", "rate limited; retry after 2 s", "2.4 s"],
    ]);

    await user.click(within(log).getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(log).getAllByTestId("delivery-row")).toHaveLength(3));
    expect((await cells())[2]).toEqual([
      formatDateTime("2025-01-13T00:05:00Z"),
      "Failed",
      "500",
      "the receiver answered 500",
      "120 ms",
    ]);
    expect(cursors).toEqual([null, "page-2"]);
    expect(within(log).queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("opens the delivery log of the channel a monitor's link names", async () => {
    server("admin", [SLACK, DISABLED], {
      [`/api/orgs/acme/channels/${DISABLED.id}/deliveries`]: () =>
        json({ items: [anAttempt({ outcome: "failed", status: 404, error: "no_service" })], next_cursor: null }),
    });
    renderApp(`/orgs/acme/channels?log=${DISABLED.id}`);

    const log = await within(await rowOf("Releases")).findByRole("region", { name: "Delivery log of Releases" });
    expect(await within(log).findByTestId("delivery-row")).toHaveTextContent("no_service");
    expect(within(await rowOf("#eng-digest")).queryByRole("region")).not.toBeInTheDocument();
  });

  it("renames a channel and changes its URL, then deletes it after asking", async () => {
    let channels = [SLACK];
    const patches: unknown[] = [];
    server("admin", channels, {
      "/api/orgs/acme/channels": methods({ get: () => json(channels) }),
      [`/api/orgs/acme/channels/${SLACK.id}`]: methods({
        patch: async (request) => {
          const body = (await request.json()) as { name?: string };
          patches.push(body);
          channels = [{ ...SLACK, name: body.name ?? SLACK.name }];
          return json(channels[0]);
        },
        delete: () => {
          channels = [];
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/channels");

    await user.click(within(await rowOf("#eng-digest")).getByRole("button", { name: "Edit #eng-digest" }));
    const form = screen.getByRole("form", { name: "Edit #eng-digest" });
    await user.clear(within(form).getByLabelText("Name"));
    await fill(user, within(form).getByLabelText("Name"), "#eng");
    await fill(
      user,
      within(form).getByLabelText("New Slack webhook URL"),
      "https://hooks.slack.com/services/T1/B3/new",
    );
    await user.click(within(form).getByRole("button", { name: "Save" }));

    const row = await rowOf("#eng");
    expect(await within(row).findByText("Saved #eng.")).toBeInTheDocument();
    expect(patches).toEqual([{ name: "#eng", url: "https://hooks.slack.com/services/T1/B3/new" }]);

    await user.click(within(row).getByRole("button", { name: "Delete #eng" }));
    const confirm = within(row).getByRole("group", {
      name: "Delete #eng? Monitors stop sending to it and its pending deliveries are cancelled.",
    });
    await user.click(within(confirm).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/No channels yet/)).toBeInTheDocument();
  });

  it("is for admins: a member sees neither the tab nor the page", async () => {
    server("member", [SLACK]);
    renderApp("/orgs/acme/channels");

    expect(await screen.findByRole("alert")).toHaveTextContent("This needs the admin role or higher in Acme");
    const tabs = screen.getByRole("navigation", { name: "Org sections" });
    expect(within(tabs).queryByRole("link", { name: "Channels" })).not.toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add a channel" })).not.toBeInTheDocument();
  });
});
