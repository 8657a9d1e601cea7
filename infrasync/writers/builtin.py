"""The builtin writer: a readable Markdown digest made from the items and metrics alone.

No model, no network, deterministic: the default, and what takes over whenever the LLM
writer fails. Every item is a link to where it came from (a local git commit, which has
no address, names its short sha instead).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Literal, get_args
from urllib.parse import quote

from infrasync.digests.document import (
    CommitItem,
    DigestItems,
    IssueItem,
    Period,
    PullItem,
    ReleaseItem,
    Repository,
    is_quiet,
)
from infrasync.digests.metrics import MetricsV1, PeriodFigures

# Characters that can open or close Markdown syntax anywhere in a line: emphasis, code,
# links, images, HTML, autolinks, tables, strikethrough and entities (`&lt;`). CommonMark
# makes any ASCII punctuation literal after a backslash.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
# A tag or a sha is shown as code only when made of these: nothing in them can end a code
# span early, and every channel reads such a span alike. Anything else is escaped text.
_CODE_SAFE = re.compile(r"[A-Za-z0-9._/@+:=-]+")


def plain(text: str) -> str:
    """What a reader sees of a value: no control characters (nothing can show them), and
    its words one space apart (a line break in a title must not end its list item)."""
    visible = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    return " ".join(visible.split())


def escape(text: str) -> str:
    """Any value from a repository (a title, a login, a name, a tag) as literal Markdown
    text: `[x](javascript:…)`, `<b>`, a backtick or `&amp;` in it stays the text it is.
    Every such value goes through here, or through `code` and `link`, which use it."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", plain(text))
    # Where a value begins a list item's text, `- x` or `1. x` would start another list.
    if escaped.startswith("-"):
        return "\\" + escaped
    return re.sub(r"^(\d+)\.", r"\1\\.", escaped)


def code(text: str) -> str:
    """A tag or sha as inline code, or as escaped text if it has a character that could
    end the code span (a backtick) or that a channel would read differently inside one."""
    shown = plain(text)
    return f"`{shown}`" if _CODE_SAFE.fullmatch(shown) else escape(shown)


# RFC 3986's reserved and unreserved characters and `%`, less `(` and `)`, which would end
# the destination: anything else (spaces, `<`, `>`, `\`, non-ASCII) is percent-encoded.
_URL_SAFE = ";/?:@&=+$,-_.!~*'#[]%"


def link(label: str, url: str | None) -> str:
    """`[label](url)` with `label` already Markdown; just the label when there is no web
    address. The URL comes from the source too: characters that would end the link's
    destination are percent-encoded, and only http(s) links are made."""
    if url is None or not url.lower().startswith(("https://", "http://")):
        return label
    return f"[{label}]({quote(url, safe=_URL_SAFE)})"


def day(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}"


def period_label(period: Period) -> str:
    # `until` is exclusive: a week up to Monday 00:00 ends on Sunday.
    shown_end = period.until - timedelta(microseconds=1)
    return f"{day(period.since)} to {day(shown_end)}, {shown_end:%Y}"


def _by(author: str | None, mention: str = "@") -> str:
    """` by @login` for GitHub people; ` by Name` for git authors, who have no login."""
    return f" by {mention}{escape(author)}" if author else ""


def _pull_line(pull: PullItem, note: str) -> str:
    title = link(f"#{pull.number} {escape(pull.title)}", pull.url)
    return f"- {title}{_by(pull.author)} — {note}"


def _issue_line(issue: IssueItem) -> str:
    return f"- {link(f'#{issue.number} {escape(issue.title)}', issue.url)}{_by(issue.author)}"


def _release_line(release: ReleaseItem) -> str:
    label = escape(release.name or release.tag) if release.url else code(release.tag)
    when = f" — {day(release.published_at)}" if release.published_at else ""
    pre = " (pre-release)" if release.is_prerelease else ""
    return f"- {link(label, release.url)}{pre}{when}"


def _commit_line(commit: CommitItem) -> str:
    ref = link(code(commit.sha[:7]), commit.url)
    mention = "@" if commit.url else ""
    return f"- {ref} {escape(commit.message)}{_by(commit.author, mention)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def headline(metrics: MetricsV1) -> str:
    parts = []
    if metrics.prs_merged is not None:
        parts.append(f"{_plural(metrics.prs_merged, 'pull request')} merged")
        if metrics.prs_stale:
            parts.append(f"{metrics.prs_stale} waiting too long for review")
    else:
        parts.append(f"{_plural(metrics.commits, 'commit')}")
    if metrics.issues_opened is not None and metrics.issues_closed is not None:
        parts.append(f"{metrics.issues_opened} issues opened, {metrics.issues_closed} closed")
    if metrics.releases:
        parts.append(_plural(metrics.releases, "release"))
    parts.append(f"{_plural(metrics.contributors, 'contributor')}")
    return "; ".join(parts) + "."


def _section(title: str, lines: Iterable[str]) -> list[str]:
    body = list(lines)
    return [f"## {title}", "", *body, ""] if body else []


def _figure(value: object) -> str:
    return "—" if value is None else str(value)


_NUMBERS = (
    ("Commits", "commits"),
    ("Commit authors", "authors"),
    ("Pull requests opened", "prs_opened"),
    ("Pull requests merged", "prs_merged"),
    ("Open at the end", "prs_open_at_end"),
    ("Waiting for review", "prs_stale"),
    ("Issues opened", "issues_opened"),
    ("Issues closed", "issues_closed"),
    ("Releases", "releases"),
    ("Contributors", "contributors"),
    ("First-time contributors", "first_time_contributors"),
)


def _times(figures: PeriodFigures | None) -> tuple[str, str]:
    if figures is None:
        return "—", "—"
    merge = figures.time_to_merge_hours
    review = figures.time_to_first_review_hours
    return (
        _figure(merge.median if merge else None),
        _figure(review.median if review else None),
    )


def numbers_table(metrics: MetricsV1) -> list[str]:
    previous = metrics.previous
    header = "| | this period | previous |" if previous else "| | this period |"
    rule = "|---|---:|---:|" if previous else "|---|---:|"
    rows = [header, rule]
    for label, key in _NUMBERS:
        value = _figure(getattr(metrics, key))
        if metrics.prs_opened is None and key.startswith(("prs_", "issues_")):
            continue  # a local git source: no such thing, not zero
        cells = [label, value] + ([_figure(getattr(previous, key))] if previous else [])
        rows.append("| " + " | ".join(cells) + " |")
    if metrics.prs_opened is not None:
        merge_now, review_now = _times(metrics)
        merge_before, review_before = _times(previous)
        extra = (
            ("Median hours to merge", merge_now, merge_before),
            ("Median hours to first review", review_now, review_before),
        )
        for label, now, before in extra:
            rows.append("| " + " | ".join([label, now] + ([before] if previous else [])) + " |")
    return rows


def _issue_lines(items: DigestItems) -> list[str]:
    return [
        *(["Opened:", ""] if items.issues_opened else []),
        *(_issue_line(i) for i in items.issues_opened),
        *([""] if items.issues_opened and items.issues_closed else []),
        *(["Closed:", ""] if items.issues_closed else []),
        *(_issue_line(i) for i in items.issues_closed),
    ]


def _sections(metrics: MetricsV1, items: DigestItems) -> list[tuple[str, str, Iterable[str]]]:
    """(section key, heading, lines) in reading order."""
    shipped: Iterable[str] = (
        _pull_line(p, f"merged {day(p.merged_at)}") for p in items.merged if p.merged_at
    )
    if metrics.prs_opened is None:  # a local repository: its commits are what shipped
        shipped = (_commit_line(c) for c in items.commits)
    return [
        ("shipped", "Shipped" if metrics.prs_opened is not None else "Commits", shipped),
        (
            "in_review",
            "In review",
            (
                _pull_line(p, f"opened {day(p.created_at)}")
                for p in items.in_review
                if p not in items.stale
            ),
        ),
        (
            "needs_attention",
            "Needs attention",
            (_pull_line(p, f"open since {day(p.created_at)}, no review yet") for p in items.stale),
        ),
        ("issues", "Issues", _issue_lines(items)),
        ("releases", "Releases", (_release_line(r) for r in items.releases)),
        (
            "new_contributors",
            "New contributors",
            (f"- {link(escape(c.name), c.url)}" for c in items.new_contributors),
        ),
        ("numbers", "Numbers", numbers_table(metrics)),
    ]


def display_name(repository: Repository) -> str:
    """`owner/repo`, or a local repository's folder name rather than its whole path."""
    if repository.kind == "git":
        return PurePath(repository.name).name or repository.name
    return repository.name


# The sections a digest can have, in the order it shows them; a monitor chooses some.
Section = Literal[
    "shipped",
    "in_review",
    "needs_attention",
    "issues",
    "releases",
    "new_contributors",
    "numbers",
]
ALL_SECTIONS: tuple[Section, ...] = get_args(Section)


def write(
    repository: Repository,
    period: Period,
    metrics: MetricsV1,
    items: DigestItems,
    sections: Collection[str] = ALL_SECTIONS,
) -> str:
    """The digest in Markdown, with only the `sections` a monitor chose."""
    title = f"# {escape(display_name(repository))} — {period_label(period)}"
    if is_quiet(metrics, items):
        return "\n".join(
            [title, "", "A quiet period: no commits, pull requests, issues or releases.", ""]
        )
    lines = [title, "", f"**{headline(metrics)}**", ""]
    for key, heading, body in _sections(metrics, items):
        if key in sections:
            lines += _section(heading, body)
    return "\n".join(lines)
