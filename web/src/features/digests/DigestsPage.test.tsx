import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { DigestSummary } from "@/api/client";
import { aDigestSummary, aMonitor, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, json, renderApp } from "@/test/render";

import { filterProblem, listQuery } from "./filters";

const OTHER_MONITOR = aMonitor({ id: "00000000-0000-4000-8000-0000000000f2", name: "gadgets" });

/** A fake API that answers the list as the server would filter it, and records each ask. */
function server(digests: DigestSummary[]) {
  const asked: URLSearchParams[] = [];
  const fetchMock = fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: "viewer" })),
    "/api/orgs/acme/monitors": () => json([aMonitor(), OTHER_MONITOR]),
    "/api/orgs/acme/digests": (request) => {
      const query = new URL(request.url).searchParams;
      asked.push(query);
      const monitor = query.get("monitor_id");
      const since = query.get("since");
      const until = query.get("until");
      const items = digests.filter(
        (d) =>
          (!monitor || d.monitor_id === monitor) &&
          (!since || d.period.until > since) &&
          (!until || d.period.since < until),
      );
      return json({ items, next_cursor: null });
    },
  });
  return { asked, fetchMock };
}

const WEEK_ONE = aDigestSummary({
  id: "00000000-0000-4000-8000-0000000000b1",
  period: { since: "2026-11-02T00:00:00Z", until: "2026-11-09T00:00:00Z" },
  headline: "3 commits (↑3 from 0), against the previous period.",
});
const WEEK_TWO = aDigestSummary({
  id: "00000000-0000-4000-8000-0000000000b2",
  period: { since: "2026-11-09T00:00:00Z", until: "2026-11-16T00:00:00Z" },
  headline: "1 commit (↓2 from 3), against the previous period.",
  writer: "llm",
});
const GADGETS = aDigestSummary({
  id: "00000000-0000-4000-8000-0000000000b3",
  monitor_id: OTHER_MONITOR.id,
  monitor_name: "gadgets",
  period: { since: "2026-11-09T00:00:00Z", until: "2026-11-16T00:00:00Z" },
  figures: { ...WEEK_ONE.figures, commits: 1, prs_merged: null, issues_closed: null, releases: 0, contributors: 1 },
});

function rowNames() {
  return screen.getAllByTestId("digest-row").map((row) => within(row).getByRole("link").textContent);
}

describe("The digests list", () => {
  it("shows each digest's headline and figures", async () => {
    server([WEEK_TWO, GADGETS]);
    renderApp("/orgs/acme/digests");

    const rows = await screen.findAllByTestId("digest-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByTestId("digest-headline")).toHaveTextContent(
      "1 commit (↓2 from 3), against the previous period.",
    );
    expect(within(rows[0]).getByRole("list", { name: "Figures" })).toHaveTextContent(
      "14 commits5 pull requests merged4 issues closed1 release5 contributors",
    );
    expect(rows[0]).toHaveTextContent("AI writer");
    // A local repository knows no pull requests: the figure is left out, never a 0.
    const local = within(rows[1]).getByRole("list", { name: "Figures" });
    expect(
      within(local)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["1 commit", "0 releases", "1 contributor"]);
    expect(rows[1]).toHaveTextContent("gadgets");
    expect(rows[1]).toHaveTextContent("builtin writer");
  });

  it("filters by monitor and dates, keeping the filters in the URL", async () => {
    const { asked } = server([WEEK_TWO, GADGETS, WEEK_ONE]);
    const user = userEvent.setup();
    const { router } = renderApp("/orgs/acme/digests");
    await waitFor(() => expect(screen.getAllByTestId("digest-row")).toHaveLength(3));

    const form = screen.getByRole("form", { name: "Filter digests" });
    // The monitors load after the list: wait for the option before choosing it.
    await within(form).findByRole("option", { name: "gadgets" });
    await user.selectOptions(within(form).getByLabelText("Monitor"), "gadgets");
    await waitFor(() => expect(rowNames()).toEqual([expect.stringContaining("gadgets")]));
    expect(router.state.location.search).toBe(`?monitor=${OTHER_MONITOR.id}`);
    expect(asked.at(-1)?.get("monitor_id")).toBe(OTHER_MONITOR.id);

    await user.selectOptions(within(form).getByLabelText("Monitor"), "widgets");
    await user.type(within(form).getByLabelText("To"), "2026-11-08");
    await waitFor(() => expect(screen.getAllByTestId("digest-row")).toHaveLength(1));
    expect(rowNames()[0]).toContain("widgets");
    expect(router.state.location.search).toBe(`?monitor=${aMonitor().id}&to=2026-11-08`);
    // "To" includes its day: the period asked for ends at the next midnight.
    expect(asked.at(-1)?.get("until")).toBe("2026-11-09T00:00:00Z");

    await user.click(within(form).getByRole("button", { name: "Show all" }));
    await waitFor(() => expect(screen.getAllByTestId("digest-row")).toHaveLength(3));
    expect(router.state.location.search).toBe("");
  });

  it("reads its filters from the URL it is opened at", async () => {
    const { asked } = server([WEEK_TWO, GADGETS, WEEK_ONE]);
    renderApp(`/orgs/acme/digests?monitor=${aMonitor().id}&from=2026-11-10`);

    await waitFor(() => expect(screen.getAllByTestId("digest-row")).toHaveLength(1));
    expect(screen.getByTestId("digest-row")).toHaveTextContent("1 commit (↓2 from 3)");
    const form = screen.getByRole("form", { name: "Filter digests" });
    expect(within(form).getByLabelText("From")).toHaveValue("2026-11-10");
    await waitFor(() => expect(within(form).getByLabelText("Monitor")).toHaveValue(aMonitor().id));
    expect(asked.map((query) => query.get("since"))).toEqual(["2026-11-10T00:00:00Z"]);
  });

  it("says what to fix when From is after To, without asking the server", async () => {
    const { asked } = server([WEEK_ONE]);
    renderApp("/orgs/acme/digests?from=2026-11-10&to=2026-11-02");

    expect(await screen.findByRole("alert")).toHaveTextContent("“From” is after “To”");
    expect(screen.queryByTestId("digest-row")).not.toBeInTheDocument();
    expect(asked).toEqual([]);
  });

  it("says so when no digest matches", async () => {
    server([WEEK_ONE]);
    renderApp("/orgs/acme/digests?from=2027-01-01");
    expect(await screen.findByText("No digest matches these filters.")).toBeInTheDocument();
  });
});

describe("The list's filters", () => {
  it("turn dates into the API's half-open period and refuse what is not a date", () => {
    expect(listQuery({ monitor: null, from: "2026-11-02", to: "2026-11-30" })).toEqual({
      since: "2026-11-02T00:00:00Z",
      until: "2026-12-01T00:00:00Z",
    });
    expect(listQuery({ monitor: "m", from: null, to: "2026-12-31" })).toEqual({
      monitor_id: "m",
      until: "2027-01-01T00:00:00Z",
    });
    expect(filterProblem({ monitor: null, from: "2026-02-30", to: null })).toMatch(/“From” must be a date/);
    expect(filterProblem({ monitor: null, from: "yesterday", to: null })).toMatch(/“From” must be a date/);
    expect(filterProblem({ monitor: null, from: "2026-11-02", to: "2026-11-02" })).toBeNull();
  });
});
