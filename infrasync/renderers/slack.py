"""Slack Block Kit messages from a digest, within Slack's limits: at most 50 blocks a
message, a section's text at most 3,000 characters, a header at most 150. A long digest
becomes several messages, in order, split between items."""

from __future__ import annotations

from typing import Any

from infrasync.digests.document import Digest
from infrasync.renderers.outline import (
    flatten_table,
    outline,
    pack_lines,
    replace_bold,
    replace_links,
    shorten,
    unescape,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
ZERO_WIDTH_SPACE = "\u200b"
_FORMATTING = frozenset("*_~`")


def escape(text: str) -> str:
    """Slack's three control characters in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inert(character: str) -> str:
    """A character the Markdown escaped, as mrkdwn text. mrkdwn has no escape: a zero-width
    space after `*`, `_`, `~` or a backtick keeps it from pairing up into formatting, so
    a title such as `*urgent*` reads as written."""
    return character + ZERO_WIDTH_SPACE if character in _FORMATTING else character


def mrkdwn(line: str) -> str:
    """One line of the digest's Markdown in Slack's mrkdwn."""
    parts: list[str] = []

    def link(label: str, url: str) -> str:
        parts.append(f"<{url}|{escape(label).replace('|', '¦')}>")
        return f"\x00{len(parts) - 1}\x00"

    text = escape(unescape(replace_links(line, link, _inert), _inert))
    text = replace_bold(text, lambda inner: f"*{inner}*")
    for index, rendered in enumerate(parts):
        text = text.replace(f"\x00{index}\x00", rendered)
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def blocks(digest: Digest) -> list[dict[str, Any]]:
    shape = outline(digest.text, digest.repository.name)
    result: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": shorten(unescape(shape.title), MAX_HEADER_TEXT)},
        }
    ]
    for section in shape.sections:
        lines = [mrkdwn(line) for line in flatten_table(section.lines)]
        if section.title:
            lines.insert(0, f"*{escape(unescape(section.title))}*")
        result.extend(_section(text) for text in pack_lines(lines, MAX_SECTION_TEXT))
    if digest.writer_note:
        result.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": escape(digest.writer_note)}],
            }
        )
    return result


def messages(digest: Digest) -> list[dict[str, Any]]:
    """The webhook payloads to post, in order."""
    all_blocks = blocks(digest)
    chunks = [all_blocks[i : i + MAX_BLOCKS] for i in range(0, len(all_blocks), MAX_BLOCKS)]
    title = unescape(outline(digest.text, digest.repository.name).title, _inert)
    payloads = []
    for number, chunk in enumerate(chunks, start=1):
        part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
        payloads.append({"text": escape(title) + part, "blocks": chunk})
    return payloads
