"""A digest's Markdown as an outline of titled sections made of whole lines.

Channels with size limits split between lines, never inside one: a line is one item
(a pull request, an issue, a table row) or one sentence, so no item is ever cut in two.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass
class Section:
    title: str | None
    lines: list[str] = field(default_factory=list)


@dataclass
class Outline:
    title: str
    sections: list[Section]


def outline(markdown: str, fallback_title: str) -> Outline:
    title = fallback_title
    sections: list[Section] = [Section(title=None)]
    for raw in markdown.splitlines():
        line = raw.rstrip()
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 1 and title == fallback_title:
            title = heading.group(2).strip()
            continue
        if heading:
            sections.append(Section(title=heading.group(2).strip()))
            continue
        if line.strip():
            sections[-1].lines.append(line)
    return Outline(title=title, sections=[s for s in sections if s.lines or s.title])


# The backslash escapes the builtin writer makes (writers/builtin.escape), and `.` and `-`.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()<>#+!|~&.-])")
_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")


def _itself(character: str) -> str:
    return character


def unescape(text: str, literal: Callable[[str], str] = _itself) -> str:
    """`text` with each backslash-escaped character replaced by `literal(character)`: the
    character itself, or what a channel without backslash escapes needs in its place."""
    return _ESCAPED.sub(lambda m: literal(m.group(1)), text)


def table_row(line: str) -> list[str] | None:
    """The cells of a Markdown table row, or None for a rule or a non-table line."""
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    if _TABLE_RULE.match(stripped.lstrip("|").strip()) or set(stripped) <= set("|-: "):
        return []
    return [cell.strip() for cell in stripped.strip("|").split("|")]


def links(text: str) -> list[tuple[str, str]]:
    return [(unescape(label), url) for label, url in _LINK.findall(text)]


def replace_links(
    text: str, render: Callable[[str, str], str], literal: Callable[[str], str] = _itself
) -> str:
    """`text` with each `[label](url)` replaced by `render(label, url)`, the label
    unescaped with `literal`."""
    return _LINK.sub(lambda m: render(unescape(m.group(1), literal), m.group(2)), text)


def replace_bold(text: str, render: Callable[[str], str]) -> str:
    return _BOLD.sub(lambda m: render(m.group(1)), text)


def flatten_table(lines: list[str]) -> list[str]:
    """Table rows as `label: value (previous: …)` lines, for channels without tables."""
    header: list[str] | None = None
    flat = []
    for line in lines:
        cells = table_row(line)
        if cells is None:
            flat.append(line)
        elif cells and header is None:
            header = cells
        elif cells:
            label, *values = cells
            text = f"{label}: {values[0]}" if values else label
            if len(values) > 1:
                text += f" (previous: {values[1]})"
            flat.append(text)
    return flat


ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def pack_lines(lines: list[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters, never splitting a line
    (one so long it cannot fit alone is shortened, with an ellipsis)."""
    texts: list[str] = []
    current = ""
    for line in (shorten(line, limit) for line in lines):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            texts.append(current)
            candidate = line
        current = candidate
    if current:
        texts.append(current)
    return texts
