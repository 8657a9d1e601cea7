import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Channel, Monitor } from "@/api/client";
import { aChannel, aChannelRef, aCredential, aMember, aMonitor, anOrg, aServer, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp } from "@/test/render";

import { formatInZone } from "./schedule";

const PREVIEW = "/api/orgs/acme/monitors/schedule-preview";
const BERLIN_RUNS = ["2025-03-26T08:00:00Z", "2025-04-02T07:00:00Z", "2025-04-09T07:00:00Z"];
const SLACK = aChannel();
const EMAIL = aChannel({
  id: "00000000-0000-4000-8000-000000000092",
  kind: "email",
  name: "Leads",
  hint: "2 addresses",
  disabled: true,
  disabled_reason: "The mail server refused every address.",
});

type Preview = (query: Record<string, string>) => Response;

function server({
  monitors = [],
  channels = [SLACK, EMAIL],
  preview = () => json({ description: "Manual only", next_runs: [] }),
  extra = {},
}: {
  monitors?: Monitor[];
  channels?: Channel[];
  preview?: Preview;
  extra?: Record<string, Handler>;
}) {
  const previews: Record<string, string>[] = [];
  fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: "member" })),
    "/api/orgs/acme/members": () => json([aMember({ role: "member" })]),
    "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
    "/api/orgs/acme/channels": () => json(channels),
    "/api/orgs/acme/github-tokens": () => json([aCredential()]),
    "/api/server": () => json(aServer()),
    [PREVIEW]: (request) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      previews.push(query);
      return preview(query);
    },
    ...extra,
  });
  return previews;
}

async function scheduleOf(form: HTMLElement) {
  return within(form).getByRole("group", { name: "Schedule" });
}

describe("The schedule editor", () => {
  it("starts manual in the browser's time zone, which a search box lets you change", async () => {
    const previews = server({});
    renderApp("/orgs/acme/monitors");

    const form = await screen.findByRole("form", { name: "Add a monitor" });
    const schedule = await scheduleOf(form);
    expect(within(schedule).getByLabelText("Frequency")).toHaveValue("manual");
    const zone = within(schedule).getByRole("combobox", { name: "Time zone" });
    expect(zone).toHaveValue(Intl.DateTimeFormat().resolvedOptions().timeZone);
    const choices = [...((zone as HTMLInputElement).list?.options ?? [])].map((option) => option.value);
    expect(choices[0]).toBe("UTC");
    expect(choices).toEqual(expect.arrayContaining(["Europe/Berlin", "America/New_York", "Australia/Sydney"]));
    // Manual needs no preview: nothing is asked of the server.
    expect(within(schedule).queryByTestId("schedule-preview")).not.toBeInTheDocument();
    expect(previews).toEqual([]);
  });

  it("previews the next three runs the server computes, in the chosen zone", async () => {
    const previews = server({
      preview: (query) =>
        json(
          query.timezone === "Europe/Berlin" && query.weekday === "2"
            ? { description: "Weekly on Wednesday at 09:00 (Europe/Berlin)", next_runs: BERLIN_RUNS }
            : { description: "Something else", next_runs: [] },
        ),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const schedule = await scheduleOf(await screen.findByRole("form", { name: "Add a monitor" }));
    await user.selectOptions(within(schedule).getByLabelText("Frequency"), "weekly");
    await user.selectOptions(within(schedule).getByLabelText("Day of the week"), "Wednesday");
    const zone = within(schedule).getByRole("combobox", { name: "Time zone" });
    await user.clear(zone);
    await user.click(zone);
    await user.paste("Europe/Berlin");

    expect(await within(schedule).findByText("Weekly on Wednesday at 09:00 (Europe/Berlin)")).toBeInTheDocument();
    const runs = within(within(schedule).getByRole("list", { name: "Next runs" })).getAllByRole("listitem");
    // Shown in the monitor's zone, and in the browser's (UTC here): 09:00 in Berlin, before and after DST.
    expect(runs.map((run) => run.textContent)).toEqual(
      BERLIN_RUNS.map((run) => `${formatInZone(run, "Europe/Berlin")} · ${formatInZone(run, "UTC")} your time`),
    );
    expect(runs[0]).toHaveTextContent(/09:00/);
    expect(runs[1]).toHaveTextContent(/09:00/);
    expect(previews.at(-1)).toEqual({ kind: "weekly", timezone: "Europe/Berlin", at: "09:00", weekday: "2" });
  });

  it("shows the server's sentence when the schedule cannot be used, and the preview once it is fixed", async () => {
    const refusal = "schedule: cron fires every 5 minutes; a schedule may run at most every 15 minutes.";
    server({
      preview: (query) =>
        query.cron === "*/5 * * * *"
          ? json({ detail: refusal }, 422)
          : json({ description: "At minute 0 (UTC)", next_runs: BERLIN_RUNS }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const schedule = await scheduleOf(await screen.findByRole("form", { name: "Add a monitor" }));
    await user.selectOptions(within(schedule).getByLabelText("Frequency"), "cron");
    const cron = within(schedule).getByLabelText("Cron expression");
    await user.clear(cron);
    await user.click(cron);
    await user.paste("*/5 * * * *");

    expect(await within(schedule).findByRole("alert")).toHaveTextContent(refusal);
    expect(within(schedule).queryByRole("list", { name: "Next runs" })).not.toBeInTheDocument();

    await user.clear(cron);
    await user.click(cron);
    await user.paste("0 * * * *");
    expect(await within(schedule).findByText("At minute 0 (UTC)")).toBeInTheDocument();
    expect(within(schedule).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says what is missing before asking the server", async () => {
    const previews = server({});
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const schedule = await scheduleOf(await screen.findByRole("form", { name: "Add a monitor" }));
    await user.selectOptions(within(schedule).getByLabelText("Frequency"), "daily");
    const days = within(schedule).getByRole("group", { name: "On these days" });
    for (const day of within(days).getAllByRole("checkbox")) await user.click(day);

    expect(await within(schedule).findByRole("alert")).toHaveTextContent("Schedule: pick at least one day to run on.");
    expect(previews.every((query) => query.working_days !== "")).toBe(true);
  });

  it("creates a monitor that runs on working days and sends to the channels ticked", async () => {
    const bodies: unknown[] = [];
    server({
      preview: () => json({ description: "Every Monday–Friday at 08:30 (UTC)", next_runs: BERLIN_RUNS }),
      extra: {
        "/api/orgs/acme/monitors": methods({
          get: () => json([]),
          post: async (request) => {
            bodies.push(await request.json());
            return json(aMonitor(), 201);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    const form = await screen.findByRole("form", { name: "Add a monitor" });
    await user.click(within(form).getByLabelText("Repository"));
    await user.paste("acme/widgets");
    const schedule = await scheduleOf(form);
    await user.selectOptions(within(schedule).getByLabelText("Frequency"), "daily");
    const at = within(schedule).getByLabelText("Time of day");
    await user.clear(at);
    await user.type(at, "08:30");
    await user.click(within(schedule).getByRole("button", { name: "Monday to Friday" }));
    expect(within(schedule).getByRole("checkbox", { name: "Saturday" })).not.toBeChecked();
    const zone = within(schedule).getByRole("combobox", { name: "Time zone" });
    await user.clear(zone);
    await user.click(zone);
    await user.paste("UTC");
    expect(await within(schedule).findByText("Every Monday–Friday at 08:30 (UTC)")).toBeInTheDocument();

    const channels = within(form).getByRole("group", { name: "Send digests to" });
    expect(within(channels).getByText("Disabled: The mail server refused every address.")).toBeInTheDocument();
    await user.click(within(channels).getByRole("checkbox", { name: "#eng-digest (Slack)" }));
    await user.click(within(form).getByRole("button", { name: "Add monitor" }));

    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toMatchObject({
      source: "acme/widgets",
      schedule: { kind: "daily", timezone: "UTC", at: "08:30", working_days: [0, 1, 2, 3, 4] },
      channel_ids: [SLACK.id],
    });
  });

  it("edits a monitor's schedule and channels, sending only what changed", async () => {
    const monitor = aMonitor({
      schedule: {
        kind: "weekly",
        timezone: "Europe/Berlin",
        at: "09:00",
        weekday: 0,
        description: "Weekly on Monday at 09:00 (Europe/Berlin)",
      },
      channels: [aChannelRef()],
    });
    const patches: unknown[] = [];
    server({
      monitors: [monitor],
      preview: () => json({ description: "Weekly on Monday at 09:00 (Europe/Berlin)", next_runs: BERLIN_RUNS }),
      extra: {
        [`/api/orgs/acme/monitors/${monitor.id}`]: methods({
          patch: async (request) => {
            patches.push(await request.json());
            return json(monitor);
          },
        }),
      },
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    const form = screen.getByRole("form", { name: "Edit widgets" });
    const schedule = await scheduleOf(form);
    expect(within(schedule).getByLabelText("Frequency")).toHaveValue("weekly");
    expect(within(schedule).getByLabelText("Day of the week")).toHaveValue("0");
    expect(within(schedule).getByLabelText("Time of day")).toHaveValue("09:00");
    expect(within(schedule).getByRole("combobox", { name: "Time zone" })).toHaveValue("Europe/Berlin");
    const channels = within(form).getByRole("group", { name: "Send digests to" });
    expect(await within(channels).findByRole("checkbox", { name: "#eng-digest (Slack)" })).toBeChecked();

    await user.click(within(channels).getByRole("checkbox", { name: "#eng-digest (Slack)" }));
    await user.click(within(channels).getByRole("checkbox", { name: "Leads (Email)" }));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(patches).toEqual([{ channel_ids: [EMAIL.id] }]));

    await user.click(await screen.findByRole("button", { name: "Edit widgets" }));
    const again = screen.getByRole("form", { name: "Edit widgets" });
    await user.selectOptions(within(await scheduleOf(again)).getByLabelText("Frequency"), "manual");
    await user.click(within(again).getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(patches).toEqual([
        { channel_ids: [EMAIL.id] },
        { schedule: { kind: "manual", timezone: "Europe/Berlin" } },
      ]),
    );
  });
});
