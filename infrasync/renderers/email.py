"""Email from a digest: an HTML part in which every value is escaped and every link is
http(s), and a plain-text part. The Markdown is rendered with raw HTML switched off and
the result is sanitised again with nh3 (Ammonia), so a title such as
`<script>…</script>` or a `javascript:` link arrives as harmless text."""

from __future__ import annotations

import html
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from infrasync.digests.document import Digest
from infrasync.renderers.outline import outline, unescape

ALLOWED_TAGS = {
    "a",
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "h1",
    "h2",
    "h3",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "hr",
    "blockquote",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "th": {"align"}, "td": {"align"}}
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_ALIGNMENT = {f"text-align:{side}": side for side in ("left", "center", "right")}


@dataclass(frozen=True)
class Email:
    subject: str
    html: str
    text: str


def _align_without_style(tokens: list[Token]) -> list[Token]:
    """A table column's alignment as the `align` attribute, not markdown-it's `style`.

    The web app shows this HTML under a Content-Security-Policy without inline styles, and
    a browser checks a `style` attribute against it as soon as it parses one (even in the
    inert document a sanitiser parses into), so each cell would be reported as a violation.
    `align` is a presentational hint that no policy governs, and mail clients honour it.
    """
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style in _ALIGNMENT:
                token.attrs["align"] = _ALIGNMENT[style]
    return tokens


def safe_html(markdown: str) -> str:
    tokens = _align_without_style(_markdown.parse(markdown))
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def body(digest: Digest) -> str:
    """The HTML inside the email's `<body>`: the digest, then the writer's note."""
    note = f"<p><em>{html.escape(digest.writer_note)}</em></p>" if digest.writer_note else ""
    return safe_html(digest.text) + note


def _title(digest: Digest) -> str:
    return " ".join(unescape(outline(digest.text, digest.repository.name).title).split())


def subject(digest: Digest) -> str:
    return _title(digest)[:200]


def text(digest: Digest) -> str:
    """The plain-text part."""
    note = f"\n\n{digest.writer_note}\n" if digest.writer_note else ""
    return unescape(digest.text) + note


def render(digest: Digest) -> Email:
    document = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(_title(digest))}</title></head>"
        '<body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 40rem">'
        f"{body(digest)}</body></html>"
    )
    return Email(subject=subject(digest), html=document, text=text(digest))
