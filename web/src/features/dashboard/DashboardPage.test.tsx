import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Channel, DigestSummary, Invite, Member, Monitor, Role } from "@/api/client";
import { aChannel, aDigest, aDigestSummary, aMember, aMonitor, anInvite, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, renderApp } from "@/test/render";

import type { GitHubBudget, Series, Summary } from "./queries";

const BOB = aMember({ user_id: "00000000-0000-4000-8000-000000000002", login: "bob", role: "member" });

function emptySeries(request: Request): Series {
  const url = new URL(request.url);
  const metric = url.searchParams.get("metric") ?? "prs_merged";
  const points = Array.from({ length: 12 }, (_, index) => ({
    start: new Date(Date.UTC(2026, 8, 7 + 7 * index)).toISOString(),
    end: new Date(Date.UTC(2026, 8, 14 + 7 * index)).toISOString(),
    value: null,
    digests: 0,
  }));
  return {
    metric,
    unit: metric.startsWith("time_") ? "hours" : "count",
    aggregation: "sum",
    weighted_by: null,
    bucket: url.searchParams.get("bucket") === "month" ? "month" : "week",
    monitor_id: url.searchParams.get("monitor_id"),
    since: points[0]?.start ?? "",
    until: points[11]?.end ?? "",
    points,
  };
}

const QUIET_SUMMARY: Summary = {
  days: 7,
  current: { since: "2026-11-26T00:00:00Z", until: "2026-12-03T00:00:00Z" },
  previous: { since: "2026-11-19T00:00:00Z", until: "2026-11-26T00:00:00Z" },
  metrics: [],
  stale_pull_requests: [],
  stale_total: 0,
  failing_monitors: [],
  disabled_channels: [],
};

const NO_BUDGET: GitHubBudget = { tokens: [], monitors_without_token: 0 };

interface World {
  role?: Role;
  monitors?: Monitor[];
  digests?: DigestSummary[];
  channels?: Channel[];
  members?: Member[];
  invites?: Invite[];
  summary?: Summary;
  budget?: GitHubBudget;
  extra?: Record<string, Handler>;
}

function server(world: World = {}) {
  const digests = world.digests ?? [];
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: world.role ?? "owner" })),
    "/api/orgs/acme/monitors": () => json(world.monitors ?? []),
    "/api/orgs/acme/digests": () => json({ items: digests, next_cursor: null }),
    "/api/orgs/acme/channels": () => json(world.channels ?? []),
    "/api/orgs/acme/members": () => json(world.members ?? [aMember()]),
    "/api/orgs/acme/invites": () => json(world.invites ?? []),
    "/api/orgs/acme/analytics": (request) => json(emptySeries(request)),
    "/api/orgs/acme/analytics/summary": () => json(world.summary ?? QUIET_SUMMARY),
    "/api/orgs/acme/analytics/github-budget": () => json(world.budget ?? NO_BUDGET),
    ...Object.fromEntries(
      digests.map((digest) => [`/api/orgs/acme/digests/${digest.id}`, () => json(aDigest({ ...digest }))]),
    ),
    ...world.extra,
  });
}

function step(key: string): HTMLElement {
  return screen.getByTestId(`step-${key}`);
}

describe("the org dashboard", () => {
  it("is where an org opens, its tab first and current", async () => {
    server();
    const { router } = renderApp("/orgs/acme");

    expect(await screen.findByRole("heading", { level: 2, name: "Dashboard" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/orgs/acme");
    const tabs = within(screen.getByRole("navigation", { name: "Org sections" })).getAllByRole("link");
    expect(tabs[0]).toHaveTextContent("Dashboard");
    expect(tabs[0]).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("link", { name: "Members" })).not.toHaveAttribute("aria-current");
    expect(document.title).toBe("Dashboard · Acme · Infrasync");
  });

  it("shows a new org the four steps, none done, and empty states that say what to do", async () => {
    server();
    renderApp("/orgs/acme");

    const checklist = await screen.findByRole("region", { name: "Get started" });
    expect(within(checklist).getByTestId("onboarding-progress")).toHaveTextContent("0 of 4 steps done.");
    const steps = within(checklist).getAllByRole("listitem");
    expect(steps.map((item) => item.querySelector(".font-medium")?.textContent)).toEqual([
      "1. Add a monitor (to do)",
      "2. Run a digest (to do)",
      "3. Add a channel (to do)",
      "4. Invite a teammate (to do)",
    ]);
    expect(within(step("monitor")).getByRole("link", { name: "Add a monitor" })).toHaveAttribute(
      "href",
      "/orgs/acme/monitors",
    );
    expect(within(step("channel")).getByRole("link", { name: "Add a channel" })).toHaveAttribute(
      "href",
      "/orgs/acme/channels",
    );
    expect(within(step("teammate")).getByRole("link", { name: "Invite a teammate" })).toHaveAttribute(
      "href",
      "/orgs/acme/invites",
    );

    expect(await screen.findByTestId("recent-empty")).toHaveTextContent("No digests yet.");
    expect(await screen.findByTestId("attention-empty")).toHaveTextContent("Nothing needs attention");
    expect(await screen.findByTestId("budget-empty")).toHaveTextContent("No monitor reads GitHub with a token yet.");
    const trends = screen.getByRole("region", { name: "Trends" });
    expect(await within(trends).findAllByText(/No digest of the last 12 weeks has this figure yet/)).toHaveLength(5);
  });

  it("ticks each step from what the org holds", async () => {
    const digest = aDigestSummary({ monitor_name: "Widgets" });
    server({
      monitors: [aMonitor()],
      digests: [digest],
      channels: [],
      members: [aMember()],
      invites: [anInvite({ status: "pending" })],
    });
    renderApp("/orgs/acme");

    expect(await screen.findByTestId("onboarding-progress")).toHaveTextContent("3 of 4 steps done.");
    expect(step("monitor")).toHaveTextContent("(done)");
    expect(step("digest")).toHaveTextContent("(done)");
    expect(step("teammate")).toHaveTextContent("(done)");
    expect(step("channel")).toHaveTextContent("(to do)");
    expect(within(step("monitor")).queryByRole("link")).not.toBeInTheDocument();
    // The digest that ticked step 2 is on the dashboard, with its headline numbers.
    const recent = await screen.findByRole("list", { name: "Recent digests" });
    expect(within(recent).getByRole("link", { name: /^Widgets,/ })).toHaveAttribute(
      "href",
      `/orgs/acme/digests/${digest.id}`,
    );
    expect(
      await within(recent).findByText(/5 pull requests merged · 2 issues opened · 4 issues closed · 14 commits/),
    ).toHaveTextContent("merged in 20.5 h (median)");
  });

  it("does not count a revoked invite as a teammate", async () => {
    server({ monitors: [aMonitor()], invites: [anInvite({ status: "revoked" })] });
    renderApp("/orgs/acme");
    expect(await screen.findByTestId("onboarding-progress")).toHaveTextContent("1 of 4 steps done.");
    expect(step("teammate")).toHaveTextContent("(to do)");
  });

  it("leaves the checklist once every step is done", async () => {
    server({
      monitors: [aMonitor()],
      digests: [aDigestSummary()],
      channels: [aChannel()],
      members: [aMember(), BOB],
    });
    renderApp("/orgs/acme");

    expect(await screen.findByRole("list", { name: "Recent digests" })).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Get started" })).not.toBeInTheDocument();
  });

  it("shows a viewer no checklist (channels and invites are an admin's)", async () => {
    const fetchMock = server({ role: "viewer" });
    renderApp("/orgs/acme");

    expect(await screen.findByTestId("recent-empty")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Get started" })).not.toBeInTheDocument();
    const paths = fetchMock.mock.calls.map(([input]) => new URL((input as Request).url).pathname);
    expect(paths).not.toContain("/api/orgs/acme/channels");
    expect(paths).not.toContain("/api/orgs/acme/invites");
  });

  it("lists what needs attention and the GitHub budget", async () => {
    server({
      monitors: [aMonitor()],
      summary: {
        ...QUIET_SUMMARY,
        stale_total: 7,
        stale_pull_requests: Array.from({ length: 7 }, (_, index) => ({
          monitor_id: "00000000-0000-4000-8000-0000000000f1",
          monitor_name: "Widgets",
          repository: "acme/widgets",
          number: 100 + index,
          title: `Pull request ${index}`,
          url: `https://github.com/acme/widgets/pull/${100 + index}`,
          author: "ada",
          created_at: "2026-11-01T00:00:00Z",
          as_of: "2026-12-01T00:00:00Z",
        })),
        failing_monitors: [
          { id: "m1", name: "Gadgets", last_run_at: "2026-12-02T00:00:00Z", last_run_error: "GitHub said 404." },
        ],
        disabled_channels: [
          {
            id: "c1",
            name: "Team Slack",
            kind: "slack",
            disabled_at: "2026-12-01T00:00:00Z",
            disabled_reason: "The webhook was revoked",
          },
        ],
      },
      budget: {
        monitors_without_token: 2,
        tokens: [
          {
            token_hint: "…AbCd",
            owner: "member",
            github_login: "mona",
            monitors: 3,
            rejected: false,
            resources: [
              {
                resource: "graphql",
                limit: 5000,
                remaining: 4200,
                used: 800,
                resets_at: "2026-12-03T15:00:00Z",
                observed_at: "2026-12-03T14:00:00Z",
              },
            ],
          },
        ],
      },
    });
    renderApp("/orgs/acme");

    const stale = await screen.findByRole("list", { name: "Stale pull requests" });
    expect(within(stale).getAllByRole("listitem")).toHaveLength(5);
    expect(within(stale).getByRole("link", { name: "acme/widgets#100 Pull request 0" })).toHaveAttribute(
      "href",
      "https://github.com/acme/widgets/pull/100",
    );
    expect(screen.getByText(/And 2 more in the/)).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Failing monitors" })).toHaveTextContent("GitHub said 404.");
    expect(screen.getByRole("list", { name: "Disabled channels" })).toHaveTextContent("The webhook was revoked");

    const budget = await screen.findByRole("list", { name: "GitHub tokens" });
    expect(budget).toHaveTextContent("mona's token");
    expect(budget).toHaveTextContent("3 monitors");
    expect(within(budget).getByTestId("budget-graphql")).toHaveTextContent(/GraphQL: 4,200 of 5,000 left, refills/);
    expect(screen.getByText(/2 GitHub monitors have no token/)).toBeInTheDocument();
  });

  it("asks for one monitor's trends, then per month", async () => {
    const monitor = aMonitor({ name: "Widgets" });
    const fetchMock = server({ monitors: [monitor] });
    const user = userEvent.setup();
    renderApp("/orgs/acme");

    await screen.findAllByText(/No digest of the last 12 weeks/);
    await user.selectOptions(screen.getByLabelText("Monitor"), "Widgets");
    await user.selectOptions(screen.getByLabelText("Period"), "Last 12 months");

    expect(await screen.findAllByText(/No digest of the last 12 months/)).toHaveLength(5);
    const asked = fetchMock.mock.calls
      .map(([input]) => new URL((input as Request).url))
      .filter((url) => url.pathname === "/api/orgs/acme/analytics");
    expect(
      asked.some(
        (url) => url.searchParams.get("monitor_id") === monitor.id && url.searchParams.get("bucket") === "month",
      ),
    ).toBe(true);
  });
});
