import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Monitor, Role } from "@/api/client";
import { aCredential, aDigest, aMember, aMonitor, anOrg, aServer, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, noContent, renderApp } from "@/test/render";

const MONITOR = aMonitor();

function server(role: Role, monitors: Monitor[], extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/monitors": methods({ get: () => json(monitors) }),
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

  it("runs a monitor now and opens the new digest", async () => {
    const digest = aDigest({ id: "00000000-0000-4000-8000-0000000000b9" });
    const bodies: unknown[] = [];
    server("member", [MONITOR], {
      [`/api/orgs/acme/monitors/${MONITOR.id}/digests`]: methods({
        post: async (request) => {
          bodies.push(await request.json());
          return json(digest, 201);
        },
      }),
      [`/api/orgs/acme/digests/${digest.id}`]: () => json(digest),
    });
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/monitors");

    await user.click(await screen.findByRole("button", { name: "Run widgets now" }));

    await waitFor(() => expect(router.state.location.pathname).toBe(`/orgs/acme/digests/${digest.id}`));
    expect(bodies).toEqual([{ since: "7d" }]);
    expect(await screen.findByTestId("digest-body")).toHaveTextContent("widgets");
  });

  it("shows why a run could not make a digest (409) and stays on the page", async () => {
    const sentence = "The digest could not be made: GitHub refused the token.";
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
