import { useQuery } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";

import type { components } from "@/api/schema";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Button } from "@/components/ui/button";

import { DiscordText, SlackText } from "./messageText";
import { digestPreviewQuery } from "./queries";
import { sanitizeDigestHtml } from "./sanitize";

export type ChannelPreview = components["schemas"]["ChannelPreview"];

const CHANNELS = [
  { key: "slack", label: "Slack" },
  { key: "discord", label: "Discord" },
  { key: "email", label: "Email" },
  { key: "markdown", label: "Markdown" },
] as const;
type Channel = (typeof CHANNELS)[number]["key"];

/** How many webhook messages are shown before "and N more". */
export const SHOWN_MESSAGES = 2;

/** What each kind of channel receives of the digest, from the server's own renderers. */
export function ChannelPreviews({ slug, digestId }: { slug: string; digestId: string }) {
  const preview = useQuery(digestPreviewQuery(slug, digestId));
  return (
    <section
      aria-labelledby="previews-title"
      data-testid="channel-previews"
      className="flex min-w-0 flex-col gap-3 rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-800 shadow-sm"
    >
      <h2 id="previews-title" className="text-base font-semibold text-slate-900">
        How each channel receives it
      </h2>
      {preview.isPending && <p role="status">Loading the previews…</p>}
      {preview.isError && <ErrorMessage error={preview.error} />}
      {preview.isSuccess && <Previews preview={preview.data} />}
    </section>
  );
}

export function Previews({ preview }: { preview: ChannelPreview }) {
  const [channel, setChannel] = useState<Channel>("slack");
  const id = useId();
  return (
    <div className="flex min-w-0 flex-col gap-3">
      {/* Buttons that say which one is shown, rather than ARIA tabs: each is one press away. */}
      <fieldset className="flex min-w-0 flex-wrap gap-2">
        <legend className="sr-only">Channel</legend>
        {CHANNELS.map(({ key, label }) => (
          <Button
            key={key}
            type="button"
            size="sm"
            variant={channel === key ? "default" : "outline"}
            aria-pressed={channel === key}
            aria-controls={`${id}-preview`}
            onClick={() => setChannel(key)}
          >
            {label}
          </Button>
        ))}
      </fieldset>
      <div id={`${id}-preview`} data-testid="channel-preview" className="min-w-0">
        {channel === "slack" && <SlackPreview messages={preview.slack} />}
        {channel === "discord" && <DiscordPreview messages={preview.discord} />}
        {channel === "email" && <EmailPreview email={preview.email} />}
        {channel === "markdown" && <MarkdownPreview markdown={preview.markdown} />}
      </div>
    </div>
  );
}

type Payload = ChannelPreview["slack"][number];

/** The first messages, and "and N more messages" with a way to see them too. */
function Messages({
  messages,
  noun,
  render,
}: {
  messages: Payload[];
  noun: string;
  render: (message: Payload) => React.ReactNode;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? messages : messages.slice(0, SHOWN_MESSAGES);
  const hidden = messages.length - shown.length;
  if (messages.length === 0) return <p>Nothing would be posted.</p>;
  return (
    <div className="flex min-w-0 flex-col gap-3">
      <p className="text-xs text-slate-600">
        {messages.length === 1 ? `One ${noun} message.` : `${messages.length} ${noun} messages, posted in order.`}
      </p>
      <ol className="flex min-w-0 flex-col gap-3">
        {shown.map((message, index) => (
          // The payloads have no id of their own; their order is what they are.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above.
          <li key={index} data-testid="preview-message" className="min-w-0 rounded-lg border border-slate-200 p-3">
            {render(message)}
          </li>
        ))}
      </ol>
      {hidden > 0 && (
        <p className="flex flex-wrap items-center gap-2" data-testid="preview-more">
          <span>
            and {hidden} more {hidden === 1 ? "message" : "messages"}
          </span>
          <Button type="button" size="sm" variant="link" onClick={() => setAll(true)}>
            Show all {messages.length}
          </Button>
        </p>
      )}
    </div>
  );
}

const TEXT = "whitespace-pre-wrap break-words [overflow-wrap:anywhere]";

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function SlackBlock({ block }: { block: Record<string, unknown> }) {
  const text = asText(asRecord(block.text).text);
  if (block.type === "header") return <p className={`${TEXT} text-base font-bold text-slate-900`}>{text}</p>;
  if (block.type === "context") {
    const elements = Array.isArray(block.elements) ? block.elements : [];
    return (
      <p className={`${TEXT} text-xs text-slate-600`}>
        {elements.map((element) => (
          <SlackText key={asText(asRecord(element).text)} text={asText(asRecord(element).text)} />
        ))}
      </p>
    );
  }
  return (
    <p className={TEXT}>
      <SlackText text={text} />
    </p>
  );
}

function SlackPreview({ messages }: { messages: Payload[] }) {
  return (
    <Messages
      messages={messages}
      noun="Slack"
      render={(message) => {
        const blocks = Array.isArray(message.blocks) ? message.blocks.map(asRecord) : [];
        return (
          <div className="flex min-w-0 flex-col gap-2">
            {blocks.map((block, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: blocks are shown in their order and never move.
              <SlackBlock key={index} block={block} />
            ))}
          </div>
        );
      }}
    />
  );
}

function DiscordPreview({ messages }: { messages: Payload[] }) {
  return (
    <Messages
      messages={messages}
      noun="Discord"
      render={(message) => {
        const embeds = Array.isArray(message.embeds) ? message.embeds.map(asRecord) : [];
        return (
          <div className="flex min-w-0 flex-col gap-2">
            <p className={TEXT}>
              <DiscordText text={asText(message.content)} />
            </p>
            {embeds.map((embed, index) => (
              <div
                // biome-ignore lint/suspicious/noArrayIndexKey: embeds are shown in their order and never move.
                key={index}
                className="min-w-0 border-l-4 border-indigo-600 bg-slate-50 px-3 py-2"
              >
                {asText(embed.title) && <p className={`${TEXT} font-semibold`}>{asText(embed.title)}</p>}
                <p className={TEXT}>
                  <DiscordText text={asText(embed.description)} />
                </p>
              </div>
            ))}
          </div>
        );
      }}
    />
  );
}

const EMAIL_BODY = [
  "min-w-0 break-words rounded-lg border border-slate-200 p-4 [overflow-wrap:anywhere]",
  "[&_h1]:mb-2 [&_h1]:text-xl [&_h1]:font-bold [&_h2]:mt-4 [&_h2]:mb-1 [&_h2]:font-semibold",
  "[&_p]:my-2 [&_ul]:list-disc [&_ul]:pl-5 [&_a]:text-indigo-700 [&_a]:underline",
  "[&_table]:block [&_table]:max-w-full [&_table]:overflow-x-auto [&_td]:px-2 [&_th]:px-2",
].join(" ");

function EmailPreview({ email }: { email: ChannelPreview["email"] }) {
  // Sanitised by the server and again here: hostile text in a digest stays text.
  const clean = useMemo(() => sanitizeDigestHtml(email.html), [email.html]);
  return (
    <div className="flex min-w-0 flex-col gap-3">
      <p className={TEXT}>
        <span className="font-medium">Subject:</span> {email.subject}
      </p>
      <div
        data-testid="email-body"
        className={EMAIL_BODY}
        // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised twice, by the server and by DOMPurify here.
        dangerouslySetInnerHTML={{ __html: clean }}
      />
      <details className="min-w-0">
        <summary className="cursor-pointer text-sm font-medium">The plain-text part</summary>
        <pre className={`${TEXT} mt-2 rounded-lg bg-slate-50 p-3 font-mono text-xs`}>{email.text}</pre>
      </details>
    </div>
  );
}

function MarkdownPreview({ markdown }: { markdown: string }) {
  return (
    <pre data-testid="markdown-text" className={`${TEXT} rounded-lg bg-slate-50 p-3 font-mono text-xs`}>
      {markdown}
    </pre>
  );
}
