"""The builtin writer: a readable Markdown digest made from the items and metrics alone.

No model, no network, deterministic: the default, and what takes over whenever the LLM
writer fails. Every item is a link to where it came from (a local git commit, which has
no address, names its short sha instead).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Literal, get_args

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

# Characters that would change Markdown's meaning inside a title someone else wrote.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def escape(text: str) -> str:
    """A title or name as literal text: `[x](javascript:…)` in a title stays text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


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
    return f"- [#{pull.number} {escape(pull.title)}]({pull.url}){_by(pull.author)} — {note}"


def _issue_line(issue: IssueItem) -> str:
    return f"- [#{issue.number} {escape(issue.title)}]({issue.url}){_by(issue.author)}"


def _release_line(release: ReleaseItem) -> str:
    label = escape(release.name or release.tag)
    when = f" — {day(release.published_at)}" if release.published_at else ""
    pre = " (pre-release)" if release.is_prerelease else ""
    linked = f"[{label}]({release.url})" if release.url else f"`{release.tag}`"
    return f"- {linked}{pre}{when}"


def _commit_line(commit: CommitItem) -> str:
    short = commit.sha[:7]
    ref = f"[`{short}`]({commit.url})" if commit.url else f"`{short}`"
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
            (
                f"- [{escape(c.name)}]({c.url})" if c.url else f"- {escape(c.name)}"
                for c in items.new_contributors
            ),
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
