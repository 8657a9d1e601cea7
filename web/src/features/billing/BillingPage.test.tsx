import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import type { Billing, Role } from "@/api/client";
import { aMember, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, methods, renderApp, setCsrfCookie, stubPageNavigation } from "@/test/render";

const FREE_LIMITS = { monitors: 3, channels: 2, members: 3 } as const;

/**
 * `GET /api/orgs/acme/billing` as a SaaS server answers it for an owner of a free org
 * (recorded from the server of tests/billing, with its plans from billing/plans.py).
 */
function aBilling(overrides: Partial<Billing> = {}): Billing {
  return {
    mode: "saas",
    plan: "free",
    status: null,
    limits: [
      { name: "monitors", label: "active monitors (repositories followed)", used: 2, limit: FREE_LIMITS.monitors },
      { name: "channels", label: "channels", used: 2, limit: FREE_LIMITS.channels },
      { name: "members", label: "members and pending invites", used: 1, limit: FREE_LIMITS.members },
    ],
    schedule: "weekly",
    schedule_label: "weekly",
    ai_writer: false,
    history_days: 30,
    this_month: { since: "2026-12-01T00:00:00Z", digests: 7, deliveries: 12 },
    renews_at: null,
    cancel_at_period_end: false,
    grace_ends_at: null,
    downgrade: null,
    plans: [
      {
        name: "free",
        ...FREE_LIMITS,
        schedule: "weekly",
        schedule_label: "weekly",
        ai_writer: false,
        history_days: 30,
      },
      {
        name: "pro",
        monitors: 50,
        channels: 25,
        members: 50,
        schedule: "cron",
        schedule_label: "cron, down to every 15 minutes",
        ai_writer: true,
        history_days: 365,
      },
    ],
    can_upgrade: true,
    can_manage: false,
    ...overrides,
  };
}

/** What a pro org's owner is shown: a paid subscription that renews. */
const PRO: Partial<Billing> = {
  plan: "pro",
  status: "active",
  limits: [
    { name: "monitors", label: "active monitors (repositories followed)", used: 2, limit: 50 },
    { name: "channels", label: "channels", used: 2, limit: 25 },
    { name: "members", label: "members and pending invites", used: 1, limit: 50 },
  ],
  schedule: "cron",
  schedule_label: "cron, down to every 15 minutes",
  ai_writer: true,
  history_days: 365,
  renews_at: "2027-01-02T00:00:00Z",
  can_upgrade: false,
  can_manage: true,
};

/** A self-hosted server's answer: no plan, no limits, nothing to pay. */
const SELF_HOSTED: Partial<Billing> = {
  mode: "self_hosted",
  plan: null,
  limits: [
    { name: "monitors", label: "active monitors (repositories followed)", used: 4, limit: null },
    { name: "channels", label: "channels", used: 9, limit: null },
    { name: "members", label: "members and pending invites", used: 2, limit: null },
  ],
  schedule: "cron",
  schedule_label: "cron, down to every 15 minutes",
  ai_writer: true,
  history_days: null,
  plans: [],
  can_upgrade: false,
  can_manage: false,
};

let clearCookie: (() => void) | undefined;
afterEach(() => clearCookie?.());

function server(role: Role, billing: Handler, extra: Record<string, Handler> = {}) {
  const fetchMock = fakeServer({
    "/api/me": signedIn,
    "/api/orgs": () => json([]),
    "/api/orgs/acme": () => json(anOrg({ role })),
    "/api/orgs/acme/members": () => json([aMember({ role })]),
    "/api/orgs/acme/billing": methods({ get: billing }),
    ...extra,
  });
  const posts = (path: string) =>
    fetchMock.mock.calls
      .map(([request]) => request as Request)
      .filter((request) => request.method === "POST" && new URL(request.url).pathname === path);
  return { posts };
}

describe("billing page", () => {
  it("shows a free org's plan, its usage against each limit and this month's digests", async () => {
    server("owner", () => json(aBilling()));
    renderApp("/orgs/acme/billing");

    expect(await screen.findByTestId("billing-plan")).toHaveTextContent("Free");
    const monitors = screen.getByRole("meter", { name: "Active monitors (repositories followed)" });
    expect(monitors).toHaveAttribute("value", "2");
    expect(monitors).toHaveAttribute("max", "3");
    expect(screen.getByTestId("usage-monitors")).toHaveTextContent("2 of 3");
    expect(screen.getByTestId("usage-channels")).toHaveTextContent("2 of 2");
    expect(screen.getByRole("meter", { name: "Members and pending invites" })).toHaveAttribute("max", "3");
    expect(screen.getByTestId("limit-schedule")).toHaveTextContent("Weekly");
    expect(screen.getByTestId("limit-ai-writer")).toHaveTextContent("Not on this plan");
    expect(screen.getByTestId("limit-history")).toHaveTextContent("30 days");
    expect(screen.getByTestId("month-digests")).toHaveTextContent("7");
    expect(screen.getByTestId("month-deliveries")).toHaveTextContent("12");

    const plans = screen.getByRole("region", { name: "Plans" });
    const pro = within(plans)
      .getAllByRole("row")
      .map((row) => row.textContent);
    expect(pro).toContain("Active monitors (repositories followed)350");
    expect(pro).toContain("Most frequent scheduleWeeklyCron, down to every 15 minutes");
    expect(pro).toContain("Digest history30 days365 days");
    expect(screen.queryByTestId("self-hosted-notice")).not.toBeInTheDocument();
  });

  it("sends an owner to Stripe Checkout with the URL the server opened", async () => {
    clearCookie = setCsrfCookie("csrf-123");
    const assign = stubPageNavigation();
    const { posts } = server("owner", () => json(aBilling()), {
      "/api/orgs/acme/billing/checkout": methods({
        post: () => json({ url: "https://checkout.stripe.test/c/pay/cs_test_1" }),
      }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/billing");

    await user.click(await screen.findByRole("button", { name: "Upgrade to pro" }));

    await expect.poll(() => assign.mock.calls).toEqual([["https://checkout.stripe.test/c/pay/cs_test_1"]]);
    expect(posts("/api/orgs/acme/billing/checkout").map((r) => r.headers.get("X-CSRF-Token"))).toEqual(["csrf-123"]);
    expect(screen.getByRole("button", { name: "Opening Checkout…" })).toBeDisabled();
    // Nothing changes here before Stripe says so: the page still says free.
    expect(screen.getByTestId("billing-plan")).toHaveTextContent("Free");
  });

  it("opens the Billing Portal for a pro org's owner and says when it renews", async () => {
    const assign = stubPageNavigation();
    const { posts } = server("owner", () => json(aBilling(PRO)), {
      "/api/orgs/acme/billing/portal": methods({ post: () => json({ url: "https://billing.stripe.test/p/1" }) }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/billing");

    expect(await screen.findByTestId("billing-plan")).toHaveTextContent("Pro");
    expect(screen.getByTestId("billing-status")).toHaveTextContent("active");
    expect(screen.getByTestId("billing-renewal")).toHaveTextContent(/^Renews on .*2027/);
    expect(screen.queryByRole("button", { name: "Upgrade to pro" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Manage billing" }));

    await expect.poll(() => assign.mock.calls).toEqual([["https://billing.stripe.test/p/1"]]);
    expect(posts("/api/orgs/acme/billing/portal")).toHaveLength(1);
  });

  it("shows the plan to everyone else without any billing control", async () => {
    for (const role of ["admin", "member", "viewer"] as const) {
      // The server refuses them anyway; the page offers them nothing even were it to say otherwise.
      const { posts } = server(role, () => json(aBilling({ can_upgrade: true, can_manage: true })));
      const { unmount } = renderApp("/orgs/acme/billing");

      expect(await screen.findByTestId("billing-plan")).toHaveTextContent("Free");
      expect(screen.getByTestId("billing-owners-only")).toHaveTextContent(
        "Only the owners of Acme can change its plan or payment details.",
      );
      expect(screen.queryByRole("button", { name: "Upgrade to pro" })).not.toBeInTheDocument();
      expect(screen.queryByRole("button", { name: "Manage billing" })).not.toBeInTheDocument();
      expect(posts("/api/orgs/acme/billing/checkout")).toEqual([]);
      unmount();
    }
  });

  it("says a self-hosted server has no limits and no billing", async () => {
    server("owner", () => json(aBilling(SELF_HOSTED)));
    renderApp("/orgs/acme/billing");

    expect(await screen.findByTestId("self-hosted-notice")).toHaveTextContent(
      "This server is self-hosted: there are no plans, no limits and no billing.",
    );
    expect(screen.getByTestId("usage-channels")).toHaveTextContent("9 · no limit");
    expect(screen.queryByRole("meter")).not.toBeInTheDocument();
    expect(screen.getByTestId("limit-history")).toHaveTextContent("Kept for good");
    expect(screen.queryByTestId("billing-plan")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upgrade to pro" })).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Plans" })).not.toBeInTheDocument();
  });

  it("lists the monitors a downgrade paused", async () => {
    const downgrade = {
      at: "2026-12-02T10:00:00Z",
      paused_monitors: [
        { id: "00000000-0000-4000-8000-0000000000f3", name: "gadgets" },
        { id: "00000000-0000-4000-8000-0000000000f2", name: "sprockets" },
      ],
    };
    server("owner", () => json(aBilling({ status: "canceled", downgrade })));
    renderApp("/orgs/acme/billing");

    const paused = await screen.findByRole("list", { name: "Monitors paused by the downgrade" });
    expect(
      within(paused)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["gadgets", "sprockets"]);
    expect(screen.getByRole("region", { name: /^Moved to free on / })).toHaveTextContent("nothing was deleted");
    expect(screen.getByTestId("billing-status")).toHaveTextContent("cancelled");
    expect(screen.getByRole("link", { name: "Open the monitors" })).toHaveAttribute("href", "/orgs/acme/monitors");
  });

  it("says until when an overdue subscription keeps pro", async () => {
    server("owner", () => json(aBilling({ ...PRO, status: "past_due", grace_ends_at: "2026-12-09T00:00:00Z" })));
    renderApp("/orgs/acme/billing");

    expect(await screen.findByTestId("billing-grace")).toHaveTextContent(/pro stays until .*2026, then the org moves/);
    expect(screen.getByTestId("billing-status")).toHaveTextContent("payment overdue");
  });

  it("back from Checkout, waits for Stripe's confirmation and then shows pro", async () => {
    let answers = 0;
    server("owner", () => {
      answers += 1;
      return json(answers < 2 ? aBilling() : aBilling(PRO));
    });
    renderApp("/orgs/acme/billing?checkout=success");

    expect(await screen.findByText(/Stripe is confirming the payment/)).toBeInTheDocument();
    expect(await screen.findByText("Payment confirmed: Acme is on pro.")).toBeInTheDocument();
    expect(screen.getByTestId("billing-plan")).toHaveTextContent("Pro");
  });

  it("shows the server's sentence when Checkout cannot be opened", async () => {
    const sentence = "Stripe could not be reached; nothing was charged. Try again soon.";
    stubPageNavigation();
    server("owner", () => json(aBilling()), {
      "/api/orgs/acme/billing/checkout": methods({ post: () => json({ detail: sentence }, 503) }),
    });
    const user = userEvent.setup();
    renderApp("/orgs/acme/billing");

    await user.click(await screen.findByRole("button", { name: "Upgrade to pro" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(sentence);
    expect(screen.getByRole("button", { name: "Upgrade to pro" })).toBeEnabled();
  });

  it("is a tab every member sees", async () => {
    server("viewer", () => json(aBilling({ can_upgrade: false })));
    renderApp("/orgs/acme/members");

    const tabs = await screen.findByRole("navigation", { name: "Org sections" });
    expect(within(tabs).getByRole("link", { name: "Billing" })).toHaveAttribute("href", "/orgs/acme/billing");
  });
});
