"""A monitor's digests as an Atom document (RFC 4287), built with feedgen.

Each entry's content is the digest's Markdown rendered as the email channel renders it
(raw HTML off, then nh3), cleaned once more to http(s) links only: a feed reader shows it
on its own page, where a `mailto:` or any other scheme has no business. Titles are text,
so a title such as `<b>x</b>` arrives escaped and is shown as written. feedgen (on lxml)
is imported only when a feed is read, so the app starts without it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import nh3

from infrasync.renderers.email import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, safe_html
from infrasync.renderers.outline import outline, replace_links, unescape

CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# What XML 1.0 cannot carry at all (lxml refuses them): C0 controls but tab, newline and
# carriage return, lone surrogates, and U+FFFE/U+FFFF. A commit message may hold any.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Entry:
    id: uuid.UUID
    markdown: str
    fallback_title: str
    writer: str
    writer_note: str | None
    created_at: datetime
    permalink: str


@dataclass(frozen=True)
class Feed:
    id: uuid.UUID
    title: str
    monitor_page: str
    created_at: datetime
    entries: list[Entry]  # newest first


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def entry_title(markdown: str, fallback: str) -> str:
    """The digest's first heading as plain text: links to their labels, escapes undone."""
    title = replace_links(outline(markdown, fallback).title, lambda label, _url: label)
    return " ".join(unescape(title).split())[:300] or fallback


# Rendered digests, by their Markdown. A digest's text never changes once made, and a feed
# reader asks for the same 50 every few minutes: rendering one (markdown-it, then nh3
# twice) costs ~10 ms, so a feed would cost half a second of CPU per poll without this.
_RENDERED_DIGESTS = 1024


@lru_cache(maxsize=_RENDERED_DIGESTS)
def entry_html(markdown: str) -> str:
    """The digest as HTML a feed reader can show: no script, no event handler, no style,
    links to http(s) only."""
    return nh3.clean(
        safe_html(markdown),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )


def _writer_line(entry: Entry) -> str:
    line = f"Written by the {entry.writer} writer."
    if entry.writer_note:
        line += f" {entry.writer_note}"
    return line


def etag(feed: Feed, version: str) -> str:
    """A strong validator of the document `render` would make, from what it is made of,
    so a reader's poll that changed nothing is answered without rendering anything."""
    digest = hashlib.sha256()
    parts = [version, str(feed.id), feed.title, feed.monitor_page, feed.created_at.isoformat()]
    for entry in feed.entries:
        when = entry.created_at.isoformat()
        parts += [str(entry.id), entry.writer, entry.writer_note or "", when, entry.permalink]
        parts += [entry.fallback_title, entry.markdown]
    for part in parts:
        digest.update(part.encode() + b"\0")
    return '"' + digest.hexdigest()[:32] + '"'


def render(feed: Feed, version: str) -> bytes:
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    document = FeedGenerator()
    document.id(f"urn:uuid:{feed.id}")
    document.title(xml_text(feed.title))
    document.author({"name": "Infrasync"})
    document.link(href=feed.monitor_page, rel="alternate")
    document.generator("Infrasync", version=version)
    document.updated(feed.entries[0].created_at if feed.entries else feed.created_at)
    for item in feed.entries:
        entry = document.add_entry(order="append")
        entry.id(f"urn:uuid:{item.id}")
        entry.title(xml_text(entry_title(item.markdown, item.fallback_title)))
        entry.link(href=item.permalink, rel="alternate")
        entry.published(item.created_at)
        entry.updated(item.created_at)
        entry.summary(xml_text(_writer_line(item)))
        entry.content(xml_text(entry_html(item.markdown)), type="html")
    body: bytes = document.atom_str(pretty=False)
    return body
