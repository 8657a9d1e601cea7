"""A digest's headline as plain text, for the digest list: the sentence both writers put
first under the title (`**…**`), or the line a quiet period has in its place."""

from __future__ import annotations

from infrasync.renderers.outline import replace_bold, replace_links, unescape

# A headline is one sentence; a list row shows no more than this of it.
MAX_HEADLINE = 300


def _plain(line: str) -> str:
    labels: list[str] = []

    def label(text: str, _url: str) -> str:
        # Held aside: a label is unescaped once, here, not again with the rest.
        labels.append(text)
        return f"\x00{len(labels) - 1}\x00"

    text = unescape(replace_bold(replace_links(line, label), str))
    for index, shown in enumerate(labels):
        text = text.replace(f"\x00{index}\x00", shown)
    return text


def headline_of(markdown: str) -> str | None:
    """The first line of text after the title, without its Markdown: links as their
    labels, bold as its words, escapes as the characters. None when there is none."""
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("|", "- ", "* ")):
            return None  # the digest opens with a list or table: it has no headline
        words = " ".join(_plain(line).split())
        if len(words) > MAX_HEADLINE:
            return words[: MAX_HEADLINE - 1] + "…"
        return words or None
    return None
