"""Discord webhook messages from a digest, within Discord's limits: at most 10 embeds a
message and 6,000 characters across them, a description at most 4,096, a title 256,
`content` 2,000. A long digest becomes several messages, in order, split between items."""

from __future__ import annotations

from typing import Any

from infrasync.digests.document import Digest
from infrasync.renderers.outline import flatten_table, outline, pack_lines, shorten, unescape

MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_DESCRIPTION = 4096
MAX_TITLE = 256
MAX_CONTENT = 2000
COLOR = 0x4F46E5


def embeds(digest: Digest) -> list[dict[str, Any]]:
    shape = outline(digest.text, digest.repository.name)
    result = []
    for section in shape.sections:
        title = unescape(section.title) if section.title else None
        for index, description in enumerate(
            pack_lines(flatten_table(section.lines), MAX_DESCRIPTION)
        ):
            embed: dict[str, Any] = {"description": description, "color": COLOR}
            if title:
                shown = title if index == 0 else f"{title} (continued)"
                embed["title"] = shorten(shown, MAX_TITLE)
            result.append(embed)
    if digest.writer_note:
        result.append({"description": shorten(digest.writer_note, MAX_DESCRIPTION)})
    return result


def _size(embed: dict[str, Any]) -> int:
    return len(embed.get("title", "")) + len(embed.get("description", ""))


def messages(digest: Digest) -> list[dict[str, Any]]:
    """The webhook payloads to post, in order."""
    # Discord reads Markdown, backslash escapes included, in `content`: the title stays as
    # the builtin writer escaped it, or a repository name could make a masked link there.
    title = shorten(outline(digest.text, digest.repository.name).title, MAX_CONTENT)
    batches: list[list[dict[str, Any]]] = [[]]
    for embed in embeds(digest):
        batch = batches[-1]
        too_many = len(batch) >= MAX_EMBEDS
        too_big = sum(_size(e) for e in batch) + _size(embed) > MAX_EMBED_TOTAL
        if batch and (too_many or too_big):
            batches.append([])
        batches[-1].append(embed)
    payloads = []
    for number, batch in enumerate(batches, start=1):
        part = f" ({number}/{len(batches)})" if len(batches) > 1 else ""
        payloads.append(
            {
                "content": shorten(f"**{title}**{part}", MAX_CONTENT),
                "embeds": batch,
                "allowed_mentions": {"parse": []},  # a title saying @everyone pings no one
            }
        )
    return payloads
