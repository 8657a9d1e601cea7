import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { DigestDetail } from "@/api/client";
import { aDigest, aMember, aMonitor, anOrg, NO_ITEMS, signedIn } from "@/test/fixtures";
import { fakeServer, json, renderApp } from "@/test/render";

import { citationSources, describeCitation } from "./citations";
import { permalink } from "./DigestPermalink";

const DIGEST_ID = "00000000-0000-4000-8000-0000000000c1";

const PULL = {
  number: 12,
  title: "Add the <b>parser</b>",
  url: "https://github.com/acme/widgets/pull/12",
  author: "ada",
  labels: [],
  is_draft: false,
  created_at: "2026-11-02T10:00:00Z",
  changed_lines: 40,
  changed_files: 2,
  reviewed: true,
  kind: "Features",
  author_is_bot: false,
  changes_requested_by: [],
};
const RELEASE = { tag: "v1.2", name: "One two", url: "javascript:alert(1)", published_at: null, is_prerelease: false };

type Grounding = NonNullable<DigestDetail["grounding"]>;

function report(overrides: Partial<Grounding> = {}): Grounding {
  return {
    used: true,
    attempts: 1,
    answer_format: "json_schema",
    sentence_count: 2,
    cited_items: ["metric:prs_merged", "pr:12", "release:v1.2"],
    checks: [
      { check: "structure", passed: true, problems: [] },
      { check: "citations", passed: true, problems: [] },
      { check: "known_items", passed: true, problems: [] },
      { check: "numbers", passed: true, problems: [] },
      { check: "no_urls", passed: true, problems: [] },
    ],
    first_answer_failed: [],
    sentences: [
      { section: "headline", text: "One pull request merged, up from none.", cites: ["metric:prs_merged"] },
      { section: "shipped", text: "The parser <script>landed</script> in v1.2.", cites: ["pr:12", "release:v1.2"] },
    ],
    ...overrides,
  };
}

function open(digest: DigestDetail) {
  fakeServer({
    "/api/me": signedIn,
    "/api/orgs/acme": () => json(anOrg({ role: "viewer" })),
    "/api/orgs/acme/members": () => json([aMember({ role: "viewer" })]),
    "/api/orgs/acme/monitors": () => json([aMonitor()]),
    [`/api/orgs/acme/digests/${digest.id}`]: () => json(digest),
  });
  return renderApp(`/orgs/acme/digests/${digest.id}`);
}

const ITEMS = { ...NO_ITEMS, merged: [PULL], releases: [RELEASE] } as unknown as DigestDetail["items"];

describe("The grounding report", () => {
  it("links each sentence of the AI writer to the items it cites, and shows every check passed", async () => {
    open(aDigest({ id: DIGEST_ID, writer: "llm", items: ITEMS, grounding: report() }));

    const section = await screen.findByRole("region", { name: "Every claim linked to its source" });
    expect(within(section).getByTestId("grounding-summary")).toHaveTextContent(
      "The AI writer's 2 sentences passed every check",
    );
    const checks = within(section).getAllByTestId("grounding-check");
    expect(checks).toHaveLength(5);
    for (const check of checks) expect(check).toHaveTextContent(/^Passed: /);

    const [headline, shipped] = within(section).getAllByTestId("grounded-sentence");
    expect(headline).toHaveTextContent("One pull request merged, up from none.");
    expect(headline).toHaveTextContent("Sources: Pull requests merged, a figure");
    expect(within(headline).queryByRole("link")).not.toBeInTheDocument();

    // The model's words are text, never markup.
    expect(shipped).toHaveTextContent("The parser <script>landed</script> in v1.2.");
    expect(shipped.querySelector("script")).toBeNull();
    const link = within(shipped).getByRole("link", { name: "#12 Add the <b>parser</b>" });
    expect(link).toHaveAttribute("href", "https://github.com/acme/widgets/pull/12");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    // A release whose address is no web link is named, not linked.
    expect(shipped).toHaveTextContent("v1.2 One two");
    expect(within(shipped).getAllByRole("link")).toHaveLength(1);
  });

  it("says which checks failed and that the builtin writer took over", async () => {
    const failed = report({
      used: false,
      attempts: 2,
      answer_format: "text",
      first_answer_failed: ["citations"],
      checks: [
        { check: "structure", passed: true, problems: [] },
        { check: "citations", passed: true, problems: [] },
        { check: "known_items", passed: false, problems: ['"It shipped." cites pr:99, which is not in the facts.'] },
        { check: "numbers", passed: true, problems: [] },
        { check: "no_urls", passed: true, problems: [] },
      ],
      sentences: [{ section: "shipped", text: "It shipped.", cites: ["pr:99"] }],
    });
    open(aDigest({ id: DIGEST_ID, writer: "builtin", items: ITEMS, grounding: failed }));

    const section = await screen.findByRole("region", { name: "Every claim linked to its source" });
    expect(within(section).getByTestId("grounding-summary")).toHaveTextContent(
      "The model's answer failed the known items check, so the builtin writer wrote this digest instead",
    );
    expect(within(section).getByTestId("grounding-attempts")).toHaveTextContent(
      "Asked twice: the first answer failed citations",
    );
    const failedCheck = within(section)
      .getAllByTestId("grounding-check")
      .find((check) => check.textContent?.startsWith("Failed: "));
    expect(failedCheck).toHaveTextContent("No item is cited that is not in the facts");
    expect(failedCheck).toHaveTextContent("cites pr:99, which is not in the facts.");
    const [sentence] = within(section).getAllByTestId("grounded-sentence");
    expect(sentence).toHaveTextContent("pr:99 (not an item of this digest)");
  });

  it("says every line of a builtin digest is built from the items it links", async () => {
    open(aDigest({ id: DIGEST_ID, writer: "builtin", grounding: null }));

    const section = await screen.findByRole("region", { name: "Every claim linked to its source" });
    expect(within(section).getByTestId("grounding-summary")).toHaveTextContent(
      "The builtin writer wrote this digest: every line is built from the items it links",
    );
    expect(within(section).queryAllByTestId("grounding-check")).toHaveLength(0);
  });

  it("offers the digest's own link, which opens this page", async () => {
    open(aDigest({ id: DIGEST_ID, grounding: null }));

    const field = await screen.findByRole("textbox", { name: "Link to this digest" });
    expect(field).toHaveValue(`${window.location.origin}/orgs/acme/digests/${DIGEST_ID}`);
  });
});

describe("Citations", () => {
  it("finds the items of a digest across several repositories by their qualified ids", () => {
    const items = {
      repositories: [
        {
          repository: { name: "acme/api" },
          items: {
            merged: [{ ...PULL, url: "https://github.com/acme/api/pull/12" }],
            commits: [
              { sha: "1a2b3c4d5e", message: "Fix it\n\nbody", url: "https://github.com/acme/api/commit/1a2b3c4d5e" },
            ],
            releases: [{ ...RELEASE, url: "https://github.com/acme/api/releases/v1.2" }],
          },
        },
        {
          repository: { name: "acme/web" },
          items: { issues_opened: [{ number: 12, title: "Broken", url: "https://github.com/acme/web/issues/12" }] },
        },
      ],
    };
    const sources = citationSources(items as never);
    expect(describeCitation("pr:acme/api#12", sources)).toMatchObject({ label: "acme/api#12", kind: "item" });
    expect(describeCitation("issue:acme/web#12", sources).url).toBe("https://github.com/acme/web/issues/12");
    expect(describeCitation("commit:acme/api@1a2b3c4", sources)).toMatchObject({ label: "1a2b3c4", title: "Fix it" });
    expect(describeCitation("release:acme/api@v1.2", sources).url).toBe("https://github.com/acme/api/releases/v1.2");
    expect(describeCitation("metric:acme/api:prs_merged", sources)).toMatchObject({
      label: "Pull requests merged (acme/api), a figure",
      kind: "figure",
    });
    expect(describeCitation("pr:12", sources).kind).toBe("unknown");
  });

  it("builds a permalink that survives odd characters", () => {
    expect(permalink("https://app.example.com", "acme", "00000000-0000-4000-8000-0000000000c1")).toBe(
      "https://app.example.com/orgs/acme/digests/00000000-0000-4000-8000-0000000000c1",
    );
  });
});
