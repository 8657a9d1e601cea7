import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { aDigest, aMember, aMonitor, anOrg, signedIn } from "@/test/fixtures";
import { fakeServer, json, renderApp } from "@/test/render";

import { type ChannelPreview, Previews, SHOWN_MESSAGES } from "./ChannelPreviews";
import { CopyMarkdownButton } from "./CopyMarkdownButton";

const DIGEST_ID = "00000000-0000-4000-8000-0000000000b1";
const MARKDOWN = "# acme/widgets — Jan 6 to Jan 12, 2025\n\n**5 pull requests merged.**\n";

function slackMessage(text: string) {
  return {
    text: "acme/widgets",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "acme/widgets — Jan 6 to Jan 12, 2025" } },
      { type: "section", text: { type: "mrkdwn", text } },
    ],
  };
}

const PREVIEW: ChannelPreview = {
  markdown: MARKDOWN,
  slack: [
    slackMessage("*Shipped*\n• <https://github.com/acme/widgets/pull/7|#7 Fix &lt;b&gt; parsing> by @ada"),
    slackMessage("<javascript:alert(1)|click me> and <https://example.com|fine>"),
    slackMessage("third"),
    slackMessage("fourth"),
  ],
  discord: [
    {
      content: "**acme/widgets — Jan 6 to Jan 12, 2025**",
      embeds: [{ title: "Shipped", description: "- [#7 Fix \\<b\\> parsing](https://github.com/acme/widgets/pull/7)" }],
      allowed_mentions: { parse: [] },
    },
  ],
  email: {
    subject: "acme/widgets — Jan 6 to Jan 12, 2025",
    html:
      "<h1>acme/widgets</h1><p>Hello</p><script>window.__pwned = true</script>" +
      '<img src=x onerror="window.__pwned = true"><a href="javascript:alert(1)">bad</a>',
    text: "acme/widgets\n\nHello\n",
  },
};

describe("The channel previews", () => {
  it("show Slack's messages as Slack shows them, the first few and 'and N more'", async () => {
    const user = userEvent.setup();
    render(<Previews preview={PREVIEW} />);

    expect(screen.getByRole("button", { name: "Slack" })).toHaveAttribute("aria-pressed", "true");
    const messages = screen.getAllByTestId("preview-message");
    expect(messages).toHaveLength(SHOWN_MESSAGES);
    const link = within(messages[0]).getByRole("link", { name: "#7 Fix <b> parsing" });
    expect(link).toHaveAttribute("href", "https://github.com/acme/widgets/pull/7");
    expect(within(messages[0]).getByText("Shipped").tagName).toBe("STRONG");
    // A link that is not a web address stays text.
    expect(within(messages[1]).queryByRole("link", { name: /click me/ })).not.toBeInTheDocument();
    expect(within(messages[1]).getByRole("link", { name: "fine" })).toBeInTheDocument();

    expect(screen.getByTestId("preview-more")).toHaveTextContent("and 2 more messages");
    await user.click(screen.getByRole("button", { name: "Show all 4" }));
    expect(screen.getAllByTestId("preview-message")).toHaveLength(4);
    expect(screen.queryByTestId("preview-more")).not.toBeInTheDocument();
  });

  it("show Discord's message with its embeds", async () => {
    const user = userEvent.setup();
    render(<Previews preview={PREVIEW} />);
    await user.click(screen.getByRole("button", { name: "Discord" }));

    const [message] = screen.getAllByTestId("preview-message");
    expect(within(message).getByText("acme/widgets — Jan 6 to Jan 12, 2025").tagName).toBe("STRONG");
    expect(within(message).getByRole("link", { name: "#7 Fix <b> parsing" })).toHaveAttribute(
      "href",
      "https://github.com/acme/widgets/pull/7",
    );
    expect(screen.queryByTestId("preview-more")).not.toBeInTheDocument();
  });

  it("show the email inert: its markup is sanitised, nothing in it runs", async () => {
    const user = userEvent.setup();
    render(<Previews preview={PREVIEW} />);
    await user.click(screen.getByRole("button", { name: "Email" }));

    expect(screen.getByText(/acme\/widgets — Jan 6/)).toHaveTextContent(
      "Subject: acme/widgets — Jan 6 to Jan 12, 2025",
    );
    const body = screen.getByTestId("email-body");
    expect(body).toHaveTextContent("Hello");
    expect(body.querySelectorAll("script, img")).toHaveLength(0);
    expect(within(body).getByText("bad")).not.toHaveAttribute("href");
    expect((window as { __pwned?: boolean }).__pwned).toBeUndefined();
    expect(screen.getByText("The plain-text part")).toBeInTheDocument();
  });

  it("show the Markdown as text", async () => {
    const user = userEvent.setup();
    render(<Previews preview={PREVIEW} />);
    await user.click(screen.getByRole("button", { name: "Markdown" }));
    expect(screen.getByTestId("markdown-text").textContent).toBe(MARKDOWN);
  });
});

describe("Copy as Markdown", () => {
  it("puts the digest's Markdown on the clipboard and says so", async () => {
    const user = userEvent.setup();
    render(<CopyMarkdownButton markdown={MARKDOWN} />);
    await user.click(screen.getByRole("button", { name: "Copy as Markdown" }));
    expect(await navigator.clipboard.readText()).toBe(MARKDOWN);
    expect(screen.getByRole("status")).toHaveTextContent("The digest's Markdown is on the clipboard.");
  });
});

describe("A digest's page", () => {
  it("shows its title, writer line and numbers once, and the previews", async () => {
    fakeServer({
      "/api/me": signedIn,
      "/api/orgs/acme": () => json(anOrg({ role: "viewer" })),
      "/api/orgs/acme/members": () => json([aMember({ role: "viewer" })]),
      "/api/orgs/acme/monitors": () => json([aMonitor()]),
      [`/api/orgs/acme/digests/${DIGEST_ID}`]: () =>
        json(
          aDigest({
            id: DIGEST_ID,
            text: MARKDOWN,
            rendered: {
              html:
                "<h1>acme/widgets — Jan 6 to Jan 12, 2025</h1><p><strong>5 pull requests merged.</strong></p>" +
                "<h2>Shipped</h2><ul><li>#7</li></ul>" +
                "<h2>Numbers</h2><table><tbody><tr><td>Commits</td><td>14</td></tr></tbody></table>",
              slack: [],
              discord: [],
            },
          }),
        ),
      [`/api/orgs/acme/digests/${DIGEST_ID}/preview`]: () => json(PREVIEW),
    });
    renderApp(`/orgs/acme/digests/${DIGEST_ID}`);

    const body = await screen.findByTestId("digest-body");
    expect(screen.getAllByRole("heading", { name: /acme\/widgets|Digest of/ })).toHaveLength(1);
    expect(screen.getByRole("heading", { level: 2, name: /^Digest of widgets, / })).toBeInTheDocument();
    expect(within(body).getByRole("heading", { name: "Shipped" })).toBeInTheDocument();
    // The Numbers panel shows the figures: the body's table of them is left out.
    expect(within(body).queryByRole("heading", { name: "Numbers" })).not.toBeInTheDocument();
    expect(within(body).queryByRole("table")).not.toBeInTheDocument();
    expect(screen.getAllByRole("heading", { name: "Numbers" })).toHaveLength(1);
    expect(screen.getAllByText(/builtin writer/i)).toHaveLength(2); // the writer line, and the grounding report's
    expect(screen.getByTestId("digest-writer")).toHaveTextContent("Written by the builtin writer.");

    const previews = screen.getByTestId("channel-previews");
    await waitFor(() => expect(within(previews).getAllByTestId("preview-message")).toHaveLength(SHOWN_MESSAGES));
    expect(screen.getByRole("button", { name: "Copy as Markdown" })).toBeInTheDocument();
  });
});
