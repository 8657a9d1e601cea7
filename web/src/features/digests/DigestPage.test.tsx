import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { DigestDetail, Metrics } from "@/api/client";
import { aDigest, aMember, aMonitor, anOrg, GITHUB_METRICS, signedIn } from "@/test/fixtures";
import { fakeServer, type Handler, json, renderApp } from "@/test/render";

import { sanitizeDigestHtml } from "./sanitize";

const DIGEST_ID = "00000000-0000-4000-8000-0000000000b1";

function server(digest: DigestDetail, extra: Record<string, Handler> = {}) {
  return fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: "viewer" })),
    "/api/orgs/acme/members": () => json([aMember({ role: "viewer" })]),
    "/api/orgs/acme/monitors": () => json([aMonitor()]),
    [`/api/orgs/acme/digests/${digest.id}`]: () => json(digest),
    ...extra,
  });
}

const LOCAL_METRICS: Metrics = {
  schema: 1,
  commits: 12,
  authors: 3,
  prs_opened: null,
  prs_merged: null,
  prs_closed_unmerged: null,
  prs_open_at_end: null,
  prs_stale: null,
  issues_opened: null,
  issues_closed: null,
  releases: 0,
  contributors: 3,
  first_time_contributors: null,
  time_to_merge_hours: null,
  time_to_first_review_hours: null,
  previous: {
    commits: 7,
    authors: 2,
    prs_opened: null,
    prs_merged: null,
    prs_closed_unmerged: null,
    prs_open_at_end: null,
    prs_stale: null,
    issues_opened: null,
    issues_closed: null,
    releases: 1,
    contributors: 2,
    first_time_contributors: null,
    time_to_merge_hours: null,
    time_to_first_review_hours: null,
  },
};

function metricRow(label: string) {
  const row = screen.getAllByTestId("metric-row").find((r) => within(r).queryByRole("rowheader", { name: label }));
  if (!row) throw new Error(`no metric row ${label}`);
  return within(row)
    .getAllByRole("cell")
    .map((cell) => cell.textContent);
}

describe("A digest", () => {
  it("shows the text, the metrics with — for what the source cannot know, and the writer", async () => {
    server(
      aDigest({
        id: DIGEST_ID,
        metrics: LOCAL_METRICS,
        writer: "builtin",
        writer_note: "The LLM writer did not write this digest: no model is configured.",
        rendered: {
          html: '<h1>widgets — this week</h1><ul><li>Fix the <strong>parser</strong> (<a href="https://example.com/c/1">abc123</a>)</li></ul>',
          slack: [],
          discord: [],
        },
      }),
    );
    renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    const body = await screen.findByTestId("digest-body");
    // The digest's own title is the page's heading, not repeated in its body.
    expect(within(body).queryByRole("heading", { level: 1 })).not.toBeInTheDocument();
    expect(body).not.toHaveTextContent("widgets — this week");
    const link = within(body).getByRole("link", { name: "abc123" });
    expect(link).toHaveAttribute("href", "https://example.com/c/1");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");

    expect(metricRow("Commits")).toEqual(["12", "7"]);
    expect(metricRow("Releases")).toEqual(["0", "1"]);
    expect(metricRow("Pull requests merged")).toEqual(["—", "—"]);
    expect(metricRow("Time to merge, median")).toEqual(["—", "—"]);
    expect(metricRow("First-time contributors")).toEqual(["—", "—"]);

    expect(screen.getByTestId("digest-writer")).toHaveTextContent(
      "Written by the builtin writer because the LLM writer did not write this digest: no model is configured.",
    );
    expect(await screen.findByRole("heading", { level: 2, name: /Digest of widgets/ })).toBeInTheDocument();
  });

  it("shows hours and a missing previous period as —", async () => {
    server(
      aDigest({
        id: DIGEST_ID,
        metrics: { ...LOCAL_METRICS, prs_merged: 4, time_to_merge_hours: { median: 5.25, p90: null }, previous: null },
      }),
    );
    renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    await screen.findByTestId("digest-body");
    expect(metricRow("Pull requests merged")).toEqual(["4", "—"]);
    expect(metricRow("Time to merge, median")[0]).toMatch(/^5[.,]3 h$/);
    expect(metricRow("Time to merge, 90th percentile")).toEqual(["—", "—"]);
    expect(metricRow("Commits")).toEqual(["12", "—"]);
  });

  it("links the commit the digest was made from on GitHub, by its short sha", async () => {
    server(aDigest({ id: DIGEST_ID, metrics: GITHUB_METRICS }));
    renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    const revision = await screen.findByTestId("digest-revision");
    expect(revision).toHaveTextContent("From commit 3f2a9c1");
    const link = within(revision).getByRole("link", { name: "3f2a9c1" });
    expect(link).toHaveAttribute(
      "href",
      "https://github.com/acme/widgets/commit/3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    );
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(metricRow("Pull requests merged")).toEqual(["5", "3"]);
    const [now, before] = metricRow("Time to first review, median");
    expect([now, before]).toEqual([expect.stringMatching(/^3[.,]3 h$/), "5 h"]);
  });

  it("shows a local repository's revision without a link, and none when it is not known", async () => {
    const local = { kind: "git" as const, name: "/srv/widgets", url: null, revision: "0123456789abcdef" };
    server(aDigest({ id: DIGEST_ID, repository: local, metrics: LOCAL_METRICS }), {
      "/api/orgs/acme/digests/00000000-0000-4000-8000-0000000000b2": () =>
        json(aDigest({ id: "00000000-0000-4000-8000-0000000000b2", repository: { ...local, revision: null } })),
    });
    const { router } = renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    const revision = await screen.findByTestId("digest-revision");
    expect(revision).toHaveTextContent("From commit 0123456");
    expect(within(revision).queryByRole("link")).not.toBeInTheDocument();

    await router.navigate("/orgs/acme/digests/00000000-0000-4000-8000-0000000000b2");
    // The other digest is open once its body shows without the first one's revision.
    await waitFor(() => {
      expect(screen.getByTestId("digest-body")).toBeInTheDocument();
      expect(screen.queryByTestId("digest-revision")).not.toBeInTheDocument();
    });
  });

  it("sanitises the HTML again: no script, no img, no on* attribute, no javascript: link", async () => {
    const hostile = [
      "<h2>Week</h2>",
      "<script>window.__pwned = true</script>",
      '<img src="x" onerror="window.__pwned = true">',
      '<p onclick="window.__pwned = true">Click <a href="javascript:alert(1)">me</a></p>',
      '<a href="JaVaScRiPt:alert(2)" onmouseover="alert(3)">two</a>',
      '<a href="data:text/html,<script>alert(4)</script>">three</a>',
      '<svg><script>alert(5)</script></svg><iframe src="https://evil.test"></iframe>',
      '<p style="color:red" class="x" id="y">styled</p>',
    ].join("");
    server(aDigest({ id: DIGEST_ID, rendered: { html: hostile, slack: [], discord: [] } }));
    renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    const body = await screen.findByTestId("digest-body");
    expect(within(body).getByRole("heading", { level: 2 })).toHaveTextContent("Week");
    expect(body.querySelectorAll("script, img, svg, iframe, style")).toHaveLength(0);
    for (const element of body.querySelectorAll("*")) {
      for (const attribute of element.getAttributeNames()) {
        expect(attribute.startsWith("on"), `${element.tagName} has ${attribute}`).toBe(false);
        expect(["style", "class", "id", "src"]).not.toContain(attribute);
      }
    }
    for (const anchor of body.querySelectorAll("a")) {
      const href = anchor.getAttribute("href");
      if (href !== null) expect(href).toMatch(/^https?:\/\//);
    }
    expect(body.innerHTML.toLowerCase()).not.toContain("javascript:");
    expect(body).toHaveTextContent("Click me");
    expect((window as { __pwned?: boolean }).__pwned).toBeUndefined();
  });

  it("keeps only the tags a digest needs", () => {
    const clean = sanitizeDigestHtml(
      "<h2>A</h2><table><thead><tr><th>x</th></tr></thead><tbody><tr><td><code>y</code></td></tr></tbody></table><hr><br><em>z</em><div>d</div><h4>h</h4><form><input></form>",
    );
    expect(clean).toBe(
      "<h2>A</h2><table><thead><tr><th>x</th></tr></thead><tbody><tr><td><code>y</code></td></tr></tbody></table><hr><br><em>z</em>dh",
    );
  });

  it("keeps a table cell's alignment, and nothing else that styles the page", () => {
    const clean = sanitizeDigestHtml(
      '<table><tr><th>Figure</th><th align="right">now</th></tr>' +
        '<tr><td align="left">Commits</td><td align="right" style="color:red">2</td><td align="justify">x</td></tr></table>' +
        '<p align="center">p</p><h1 align="right">h</h1>',
    );
    expect(clean).toBe(
      '<table><tbody><tr><th>Figure</th><th align="right">now</th></tr>' +
        '<tr><td align="left">Commits</td><td align="right">2</td><td>x</td></tr></tbody></table>' +
        "<p>p</p><h1>h</h1>",
    );
  });

  it("says so when the digest does not exist", async () => {
    server(aDigest({ id: DIGEST_ID }), {
      "/api/orgs/acme/digests/00000000-0000-4000-8000-000000000000": () => json({ detail: "No such digest." }, 404),
    });
    renderApp("/orgs/acme/digests/00000000-0000-4000-8000-000000000000");

    expect(await screen.findByRole("heading", { level: 2, name: "Digest not found" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("No such digest.");
  });
});
