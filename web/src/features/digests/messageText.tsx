import type { ReactNode } from "react";

const WEB_LINK = /^https?:\/\//i;

function anchor(url: string, label: string, key: string): ReactNode {
  // Only web links become links; anything else stays the text it is.
  if (!WEB_LINK.test(url)) return label;
  return (
    <a key={key} href={url} target="_blank" rel="noopener noreferrer" className="text-indigo-700 underline">
      {label}
    </a>
  );
}

/** `text` with `**bold**` (or `*bold*` for Slack) as <strong>; every other character is text. */
interface Syntax {
  link: RegExp;
  /** (url, label as written) of a link match */
  linkOf: (match: RegExpMatchArray) => [string, string];
  bold: RegExp;
  unescape: (text: string) => string;
}

function withBold(text: string, syntax: Syntax, key: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(syntax.bold)) {
    const start = match.index ?? 0;
    if (start > last) parts.push(syntax.unescape(text.slice(last, start)));
    parts.push(<strong key={`${key}-b${start}`}>{syntax.unescape(match[1] ?? "")}</strong>);
    last = start + match[0].length;
  }
  if (last < text.length) parts.push(syntax.unescape(text.slice(last)));
  return parts;
}

/** React nodes only, never HTML: whatever the text holds, it cannot become markup. */
function render(text: string, syntax: Syntax): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(syntax.link)) {
    const start = match.index ?? 0;
    if (start > last) parts.push(...withBold(text.slice(last, start), syntax, `t${start}`));
    const [url, label] = syntax.linkOf(match);
    parts.push(anchor(url, syntax.unescape(label), `a${start}`));
    last = start + match[0].length;
  }
  if (last < text.length) parts.push(...withBold(text.slice(last), syntax, `t${last}`));
  return parts;
}

const SLACK_LINK = /<(https?:\/\/[^|>]+)\|([^>]*)>/g;
const SLACK_BOLD = /\*([^*\n]+)\*/g;

/** Slack's mrkdwn as Slack shows it: `<url|label>` links, `*bold*`, its three entities. */
const SLACK: Syntax = {
  link: SLACK_LINK,
  linkOf: (m) => [m[1] ?? "", m[2] ?? ""],
  bold: SLACK_BOLD,
  // The zero-width spaces Slack's renderer adds after a formatting character stay: Slack shows none.
  unescape: (value) => value.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&"),
};

export function SlackText({ text }: { text: string }) {
  return <>{render(text, SLACK)}</>;
}

const MARKDOWN_LINK = /\[((?:\\.|[^\]\\])*)\]\((https?:\/\/[^\s)]+)\)/g;
const MARKDOWN_BOLD = /\*\*(.+?)\*\*/g;
const ESCAPED = /\\([\\`*_{}[\]()<>#+!|~&.-])/g;

/** Discord's Markdown as Discord shows it: `[label](url)` links, `**bold**`, backslash escapes. */
const DISCORD: Syntax = {
  link: MARKDOWN_LINK,
  linkOf: (m) => [m[2] ?? "", m[1] ?? ""],
  bold: MARKDOWN_BOLD,
  unescape: (value) => value.replace(ESCAPED, "$1"),
};

export function DiscordText({ text }: { text: string }) {
  return <>{render(text, DISCORD)}</>;
}
