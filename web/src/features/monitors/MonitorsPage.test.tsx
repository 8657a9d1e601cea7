import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Monitor, Role } from "@/api/client";
import { formatDateTime } from "@/lib/format";
import {
  aChannelRef,
  aCredential,
  aDelivery,
  aDigest,
  aMember,
  aMonitor,
  anOrg,
  aRun,
  aServer,
  signedIn,
} from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const MONITOR = aMonitor();
// A run is read again every second: give each step a few rounds, on a busy machine.
const POLL = { timeout: 10_000 };

function server(role: Role, monitors: Monitor[], extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
    "/api/orgs/acme/channels": () => json([]),
    "/api/orgs/acme/github-tokens": () => json([aCredential()]),
    "/api/server": () => json(aServer()),
    ...extra,
  });
}

describe("Monitors", () => {
  it("lists monitors with their source, kind, last run and whose token they read with", async () => {
    server("member", [
      MONITOR,
      aMonitor({
        id: "00000000-0000-4000-8000-0000000000f2",
        name: "infrasync",
        source: "/srv/infrasync",
        source_kind: "git",
        credential: null,
        last_run_at: "2025-01-13T00:05:00Z",
        last_run_status: "error",
        last_run_error: "The repository /srv/infrasync is gone.",
        paused: true,
        sections: ["numbers", "shipped"],
        writer: "builtin",
        stale_days: 1,
        extra_bots: ["ci-bot"],
        skip_empty: true,
        include_pr_descriptions: true,
      }),
    ]);
    renderApp("/orgs/acme/monitors");

    const rows = await screen.findAllByTestId("monitor-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByTestId("monitor-source")).toHaveTextContent("acme/widgets");
    expect(within(rows[0]).getByTestId("monitor-kind")).toHaveTextContent("GitHub");
    expect(within(rows[0]).getByTestId("monitor-status")).toHaveTextContent("Not run yet");
    expect(within(rows[0]).getByTestId("monitor-credential")).toHaveTextContent(
      "Reads with mona's GitHub token (…AbCd).",
    );
    expect(within(rows[0]).getByTestId("monitor-settings")).toHaveTextContent(
      "All sections · writer: automatic · stale after 3 days",
    );
    expect(within(rows[1]).getByTestId("monitor-kind")).toHaveTextContent("Local git");
    expect(within(rows[1]).getByTestId("monitor-status")).toHaveTextContent("Last run failed");
    expect(within(rows[1]).getByTestId("monitor-last-error")).toHaveTextContent(
      "The repository /srv/infrasync is gone.",
    );
    expect(within(rows[1]).getByTestId("monitor-credential")).toHaveTextContent("no GitHub token needed");
    expect(within(rows[1]).getByTestId("monitor-settings")).toHaveTextContent(
      "Sections: Shipped, Numbers · writer: builtin · stale after 1 day · extra bots: ci-bot · skips empty digests · AI reads PR descriptions",
    );
    expect(within(rows[1]).getByRole("button", { name: "Resume infrasync" })).toBeInTheDocument();
  });

  it("says which repositories a monitor of several follows", async () => {
    server("member", [
      aMonitor({ source: "acme/api, acme/web", repositories: ["acme/api", "acme/web"] }),
      aMonitor({
        id: "00000000-0000-4000-8000-0000000000f2",
        source: "acme/*",
        repositories: ["acme/api", "acme/web", "acme/docs"],
        github_owner: { owner: "acme", include: ["*"], exclude: ["*-old"], resolved_at: null },
      }),
    ]);
    renderApp("/orgs/acme/monitors");

    const rows = await screen.findAllByTestId("monitor-row");
    expect(within(rows[0]).getByTestId("monitor-repositories")).toHaveTextContent("2 repositories: acme/api, acme/web");
    expect(within(rows[1]).getByTestId("monitor-repositories")).toHaveTextContent(
      "3 repositories of acme matching * (not *-old)",
    );
  });

  it("runs a monitor now, shows it queued and running, then links the digest and its delivery", async () => {
    const digest = aDigest({ id: "00000000-0000-4000-8000-0000000000b9" });
    const slack = aChannelRef({ name: "#eng" });
    const bodies: unknown[] = [];
    const runUrls: string[] = [];
    let run = aRun({ state: "queued" });
    let monitors = [aMonitor({ channels: [slack] })];
    server("member", [], {
      "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
      [`/api/orgs/acme/monitors/${MONITOR.id}/digests`]: methods({
        post: async (request) => {
          bodies.push({ query: new URL(request.url).search, body: await request.json() });
          return json(run, 202);
        },
      }),
      [`/api/orgs/acme/monitors/${MONITOR.id}/runs/${run.id}`]: methods({
        get: (request) => {
          runUrls.push(new URL(request.url).pathname);
          return json(run);
        },
      }),
      [`/api/orgs/acme/digests/${digest.id}`]: () => json(digest),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/monitors");

    const row = await screen.findByTestId("monitor-row");
    expect(within(row).getByTestId("delivery-outcome")).toHaveTextContent("Nothing sent yet");
    await user.click(within(row).getByRole("button", { name: "Run widgets now" }));

    // Run now queues the run (no `wait`), and the page follows it.
    expect(await within(row).findByTestId("run-progress")).toHaveTextContent("Queued…");
    expect(bodies).toEqual([{ query: "", body: { since: "7d" } }]);
    expect(within(row).getByRole("button", { name: "Run widgets now" })).toBeDisabled();
    run = { ...run, state: "running" };
    await waitFor(() => expect(within(row).getByTestId("run-progress")).toHaveTextContent("Running…"), POLL);
    // Done: the monitor is read again, with its new digest and where it went.
    monitors = [
      aMonitor({
        channels: [{ ...slack, last_delivery: aDelivery({ digest_id: digest.id }) }],
        last_digest: { id: digest.id, period: digest.period, created_at: digest.created_at },
      }),
    ];
    run = { ...run, state: "done", digest_id: digest.id, finished_at: "2025-01-13T00:05:00Z" };
    const open = await within(row).findByRole("link", { name: "Open the digest" }, POLL);
    expect(within(row).getByTestId("run-progress")).toHaveTextContent("Digest made.");
    expect(await within(row).findByText(/^Delivered /)).toBeInTheDocument();
    expect(within(row).getByTestId("monitor-last-digest")).toHaveTextContent("Last digest: Jan 6, 2025 – Jan 12, 2025");
    expect(within(row).getByRole("button", { name: "Run widgets now" })).toBeEnabled();
    // Finished runs are not read again.
    const reads = runUrls.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(runUrls).toHaveLength(reads);

    await user.click(open);
    expect(router.state.location.pathname).toBe(`/orgs/acme/digests/${digest.id}`);
    // The digest page's one title names the monitor (the body leaves out the digest's own).
    expect(await screen.findByRole("heading", { level: 2, name: /^Digest of widgets, / })).toBeInTheDocument();
    expect(screen.getByTestId("digest-body")).toBeInTheDocument();
  });

  it("says why a queued run made no digest", async () => {
    const run = aRun({ state: "failed", error: "GitHub refused the token." });
    server("member", [MONITOR], {
      [`/api/orgs/acme/monitors/${MONITOR.id}/digests`]: methods({ post: () => json(aRun(), 202) }),
      [`/api/orgs/acme/monitors/${MONITOR.id}/runs/${run.id}`]: () => json(run),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Run widgets now" }));

    const row = screen.getByTestId("monitor-row");
    expect(await within(row).findByRole("alert", {}, POLL)).toHaveTextContent(
      "The digest could not be made: GitHub refused the token.",
    );
    expect(within(row).queryByRole("link", { name: "Open the digest" })).not.toBeInTheDocument();
  });

  it("shows why a run could not be queued (409) and stays on the page", async () => {
    const sentence = "This monitor already has a digest for exactly that period.";
    server("member", [MONITOR], {
      [`/api/orgs/acme/monitors/${MONITOR.id}/digests`]: methods({ post: () => json({ detail: sentence }, 409) }),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Run widgets now" }));

    const row = screen.getByTestId("monitor-row");
    expect(await within(row).findByRole("alert")).toHaveTextContent(sentence);
    expect(router.state.location.pathname).toBe("/orgs/acme/monitors");
  });

  it("answers why a digest did not arrive: schedule, next run, last digest and each channel's delivery", async () => {
    const retryAt = "2025-01-13T00:10:00Z";
    server("viewer", [
      aMonitor({
        schedule: {
          kind: "weekly",
          timezone: "Europe/Berlin",
          at: "09:00",
          weekday: 0,
          description: "Weekly on Monday at 09:00 (Europe/Berlin)",
        },
        next_run_at: "2025-01-20T08:00:00Z",
        last_digest: {
          id: "00000000-0000-4000-8000-0000000000b1",
          period: aDigest().period,
          created_at: "2025-01-13T08:00:05Z",
        },
        channels: [
          aChannelRef({ id: "c1", name: "#eng", last_delivery: aDelivery() }),
          aChannelRef({
            id: "c2",
            name: "Leads",
            kind: "email",
            last_delivery: aDelivery({
              state: "pending",
              attempts: 2,
              last_status: 451,
              last_error: "mailbox busy",
              next_attempt_at: retryAt,
            }),
          }),
          aChannelRef({
            id: "c3",
            name: "Hook",
            kind: "webhook",
            last_delivery: aDelivery({
              state: "failed",
              attempts: 8,
              last_status: 503,
              last_error: "the receiver answered 503",
            }),
          }),
          aChannelRef({
            id: "c4",
            name: "Old Slack",
            disabled: true,
            disabled_reason: "Slack says this webhook no longer exists (404 no_service).",
            last_delivery: aDelivery({ state: "failed", last_status: 404, last_error: "no_service" }),
          }),
        ],
      }),
    ]);
    renderApp("/orgs/acme/monitors");

    const row = await screen.findByTestId("monitor-row");
    expect(within(row).getByTestId("monitor-schedule")).toHaveTextContent(
      `Weekly on Monday at 09:00 (Europe/Berlin) · next run ${formatDateTime("2025-01-20T08:00:00Z")}`,
    );
    expect(within(row).getByTestId("monitor-last-digest")).toHaveTextContent(
      `Last digest: Jan 6, 2025 – Jan 12, 2025, made ${formatDateTime("2025-01-13T08:00:05Z")}`,
    );
    const channels = within(within(row).getByRole("list", { name: "Channels of widgets" })).getAllByTestId(
      "delivery-outcome",
    );
    expect(channels.map((outcome) => outcome.textContent)).toEqual([
      `Delivered ${formatDateTime("2025-01-13T00:05:01Z")}`,
      `Pending: retry at ${formatDateTime(retryAt)} (mailbox busy)`,
      "Failed: the receiver answered 503",
      "Channel disabled: Slack says this webhook no longer exists (404 no_service).",
    ]);
    // A viewer may not open the channels page, so it is not offered.
    expect(within(row).queryByRole("link", { name: /Delivery log/ })).not.toBeInTheDocument();
  });

  it("pauses a monitor and deletes one after asking", async () => {
    let monitors = [MONITOR];
    const patches: unknown[] = [];
    server("member", monitors, {
      "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
      [`/api/orgs/acme/monitors/${MONITOR.id}`]: methods({
        patch: async (request) => {
          const body = (await request.json()) as { paused: boolean };
          patches.push(body);
          monitors = [{ ...MONITOR, paused: body.paused }];
          return json(monitors[0]);
        },
        delete: () => {
          monitors = [];
          return noContent();
        },
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Pause widgets" }));
    expect(await screen.findByRole("button", { name: "Resume widgets" })).toBeInTheDocument();
    expect(patches).toEqual([{ paused: true }]);

    await user.click(screen.getByRole("button", { name: "Delete widgets" }));
    const confirm = screen.getByRole("group", { name: "Delete widgets? Its digests go with it." });
    await user.click(within(confirm).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/No monitors yet/)).toBeInTheDocument();
  });

  it("shows a viewer the monitors but no control that changes them", async () => {
    server("viewer", [MONITOR]);
    renderApp("/orgs/acme/monitors");

    const row = await screen.findByTestId("monitor-row");
    expect(row).toHaveTextContent("acme/widgets");
    expect(screen.queryByRole("form", { name: "Add a monitor" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Edit widgets" })).not.toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Edit widgets" })).not.toBeInTheDocument();
    expect(row).toHaveTextContent("All sections · writer: automatic");
    expect(screen.queryByRole("button", { name: /Run .* now/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Pause|Resume|Delete/ })).not.toBeInTheDocument();
    expect(screen.queryAllByRole("button").filter((b) => row.contains(b))).toEqual([]);
  });
});
