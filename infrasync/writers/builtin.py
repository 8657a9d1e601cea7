"""The builtin writer: a readable Markdown digest made from the items and metrics alone.

No model, no network, deterministic: the default, and what takes over whenever the LLM
writer fails. Every item is a link to where it came from (a local git commit, which has
no address, names its short sha instead).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Literal, get_args
from urllib.parse import quote, quote_plus, urlencode

from infrasync.digests.document import (
    BotUpdates,
    CommitItem,
    DigestItems,
    IssueItem,
    Period,
    PullItem,
    ReleaseItem,
    Repository,
    is_quiet,
)
from infrasync.digests.kinds import OTHER, rank
from infrasync.digests.metrics import MetricsV1, PeriodFigures
from infrasync.github.search_terms import search_author

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


# How many items a list shows before "and M more" (a digest is read in a minute).
SHOWN = 10
# Bots whose changes are dependency bumps: their line says "dependency updates".
DEPENDENCY_BOTS = frozenset(
    {"dependabot", "dependabot-preview", "renovate", "renovate-bot", "greenkeeper", "snyk-bot"}
)


def _by(author: str | None, mention: str = "@") -> str:
    """` by @login` for GitHub people; ` by Name` for git authors, who have no login."""
    return f" by {mention}{escape(author)}" if author else ""


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def _age(delta: timedelta) -> str:
    """A wait as people say it: days once it is a day or more, else hours."""
    if delta >= timedelta(days=1):
        return _plural(delta.days, "day")
    return _plural(max(1, int(delta.total_seconds() // 3600)), "hour")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Links to GitHub's own lists -------------------------------------------------------------


def _search_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _range(period: Period) -> str:
    # GitHub's ranges include both ends; the period's end belongs to the next one.
    return f"{_search_time(period.since)}..{_search_time(period.until - timedelta(seconds=1))}"


def _search(repository: Repository, query: str, kind: str = "pulls") -> str | None:
    """GitHub's list of the repository's pull requests (or issues) matching `query`."""
    if repository.kind != "github" or not repository.url:
        return None
    return f"{repository.url}/{kind}?q={quote_plus(query)}"


def _commits_url(repository: Repository, period: Period, author: str | None = None) -> str | None:
    if repository.kind != "github" or not repository.url:
        return None
    query = {"since": _search_time(period.since), "until": _search_time(period.until)}
    if author:
        query["author"] = author
    return f"{repository.url}/commits?{urlencode(query)}"


def _merged_search(repository: Repository, period: Period, author: str = "") -> str | None:
    return _search(repository, f"is:pr is:merged merged:{_range(period)}{author}")


def _more(hidden: int, url: str | None) -> list[str]:
    return [f"- {link(f'and {hidden} more', url)}"] if hidden > 0 else []


# Lines about one item ----------------------------------------------------------------------


def _pull_line(pull: PullItem, note: str = "") -> str:
    title = link(f"#{pull.number} {escape(pull.title)}", pull.url)
    return f"- {title}{_by(pull.author)}{f' — {note}' if note else ''}"


def _issue_line(issue: IssueItem, note: str = "") -> str:
    title = link(f"#{issue.number} {escape(issue.title)}", issue.url)
    return f"- {title}{_by(issue.author)}{f' — {note}' if note else ''}"


def _release_line(release: ReleaseItem) -> str:
    if release.url:
        label = link(escape(release.tag), release.url)
        if release.name and plain(release.name) != plain(release.tag):
            label += f": {escape(release.name)}"
    else:
        label = code(release.tag)
    pre = " (pre-release)" if release.is_prerelease else ""
    when = f" — {day(release.published_at)}" if release.published_at else ""
    return f"- {label}{pre}{when}"


def _commit_line(commit: CommitItem) -> str:
    ref = link(code(commit.sha[:7]), commit.url)
    # A GitHub account is @login; a git author not linked to one is known by name only.
    author = (
        f"@{escape(commit.author_login)}" if commit.author_login else escape(commit.author or "")
    )
    return f"- {ref} {escape(commit.message)}{f' by {author}' if author else ''}"


# The headline ----------------------------------------------------------------------------

# (metric, singular, plural), in the order that breaks ties: what shipped first.
_HEADLINE_FIGURES = (
    ("prs_merged", "pull request merged", "pull requests merged"),
    ("commits", "commit", "commits"),
    ("releases", "release", "releases"),
    ("prs_opened", "pull request opened", "pull requests opened"),
    ("prs_stale", "pull request waiting for review", "pull requests waiting for review"),
    ("issues_opened", "issue opened", "issues opened"),
    ("issues_closed", "issue closed", "issues closed"),
    ("contributors", "contributor", "contributors"),
    ("first_time_contributors", "first-time contributor", "first-time contributors"),
)
HEADLINE_FIGURES = 3


def _figure_of(figures: PeriodFigures, key: str) -> int | None:
    value = getattr(figures, key)
    return value if isinstance(value, int) else None


def _moved(metrics: MetricsV1, previous: PeriodFigures) -> list[tuple[float, int, str]]:
    """(how far it moved, tie order, phrase) of each figure that changed. How far is the
    change over the square root of the larger value: between absolute and relative, as
    a reader weighs them — 2 → 12 merged outranks 0 → 1 release, and 0 → 3 releases
    outranks 100 → 110 commits."""
    moved = []
    for order, (key, one, many) in enumerate(_HEADLINE_FIGURES):
        now, before = _figure_of(metrics, key), _figure_of(previous, key)
        if now is None or before is None or now == before:
            continue
        arrow = "↑" if now > before else "↓"
        phrase = f"{_plural(now, one, many)} ({arrow}{abs(now - before)} from {before})"
        moved.append((abs(now - before) / math.sqrt(max(now, before)), order, phrase))
    return sorted(moved, key=lambda entry: (-entry[0], entry[1]))


def headline(metrics: MetricsV1) -> str:
    """One sentence: the figures that moved most against the previous period, with
    arrows; without a previous period (or when nothing moved), the main figures."""
    if metrics.previous is not None:
        moved = _moved(metrics, metrics.previous)[:HEADLINE_FIGURES]
        if moved:
            return _and([phrase for _, _, phrase in moved]) + ", against the previous period."
    figures = [
        _plural(value, one, many)
        for key, one, many in _HEADLINE_FIGURES
        if (value := _figure_of(metrics, key))
    ][:HEADLINE_FIGURES] or [_plural(metrics.commits, "commit")]
    same = "The same as the previous period: " if metrics.previous is not None else ""
    sentence = _and(figures)
    return f"{same}{sentence}." if same else f"{sentence[0].upper()}{sentence[1:]}."


# Sections ----------------------------------------------------------------------------------


def _groups(kinds: Iterable[str]) -> list[str]:
    return sorted(set(kinds), key=rank)


def _group_label(groups: list[str], kind: str) -> list[str]:
    # A lone "Other" group says nothing a reader needs: its items stand alone.
    return [] if groups == [OTHER] else [f"**{kind}**", ""]


def _shipped_pulls(repository: Repository, period: Period, items: DigestItems) -> list[str]:
    pulls = sorted(
        (pull for pull in items.merged if not pull.author_is_bot),
        key=lambda pull: (pull.merged_at or pull.created_at, pull.number),
        reverse=True,
    )
    groups = _groups(pull.kind for pull in pulls)
    lines: list[str] = []
    for kind in groups:
        members = [pull for pull in pulls if pull.kind == kind]
        lines += _group_label(groups, kind)
        lines += [_pull_line(pull) for pull in members[:SHOWN]]
        lines += _more(len(members) - SHOWN, _merged_search(repository, period))
        lines.append("")  # a label after a list would read as part of its last item
    return lines


def _git_log(period: Period) -> str:
    """The command that lists a local repository's commits of the period."""
    since, until = (
        f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for moment in (period.since, period.until)
    )
    return f"git log --no-merges --since={since} --until={until}"


def _shipped_commits(period: Period, items: DigestItems) -> list[str]:
    """A local repository's commits by people, grouped by kind as pull requests are."""
    totals = {entry.kind: entry.count for entry in items.direct_commit_kinds}
    groups = _groups(totals)
    lines: list[str] = []
    for kind in groups:
        members = [commit for commit in items.direct_commits if commit.kind == kind][:SHOWN]
        lines += _group_label(groups, kind)
        lines += [_commit_line(commit) for commit in members]
        hidden = totals[kind] - len(members)
        if hidden > 0:
            # Our own command, of characters nothing escapes: safe as a code span.
            lines.append(f"- and {hidden} more: `{_git_log(period)}`")
        lines.append("")
    return lines


def _waiting(repository: Repository, period: Period, items: DigestItems) -> list[str]:
    # Longest wait first: from when each was first ready, not when it was opened.
    pulls = sorted(
        (pull for pull in items.stale if not pull.author_is_bot),
        key=lambda pull: (pull.ready_at or pull.created_at, pull.number),
    )
    lines = [
        _pull_line(pull, f"waiting {_age(period.until - (pull.ready_at or pull.created_at))}")
        for pull in pulls[:SHOWN]
    ]
    url = _search(repository, "is:pr is:open draft:false review:none sort:created-asc")
    return lines + _more(len(pulls) - SHOWN, url)


def _changes_requested(repository: Repository, period: Period, items: DigestItems) -> list[str]:
    pulls = [pull for pull in items.changes_requested if not pull.author_is_bot]
    lines = []
    for pull in pulls[:SHOWN]:
        asked = pull.changes_requested_at or period.until
        who = _and([f"@{escape(login)}" for login in pull.changes_requested_by]) or "a reviewer"
        lines.append(_pull_line(pull, f"{who} asked {_age(period.until - asked)} ago"))
    url = _search(repository, "is:pr is:open review:changes_requested sort:updated-asc")
    return lines + _more(len(pulls) - SHOWN, url)


def _unanswered(repository: Repository, period: Period, items: DigestItems) -> list[str]:
    issues = items.unanswered_issues
    lines = [
        _issue_line(issue, f"opened {_age(period.until - issue.created_at)} ago")
        for issue in issues[:SHOWN]
    ]
    url = _search(repository, f"is:issue is:open created:{_range(period)}", "issues")
    return lines + _more(len(issues) - SHOWN, url)


def _needs_attention(
    repository: Repository, period: Period, items: DigestItems, sections: Collection[str]
) -> list[str]:
    pulls_chosen = bool({"needs_attention", "in_review"} & set(sections))
    issues_chosen = bool({"needs_attention", "issues"} & set(sections))
    parts = (
        ("Waiting for a first review, oldest first", _waiting, pulls_chosen),
        ("Changes requested, no update since", _changes_requested, pulls_chosen),
        ("Issues no one has answered yet", _unanswered, issues_chosen),
    )
    lines: list[str] = []
    for label, part, chosen in parts:
        body = part(repository, period, items) if chosen else []
        lines += [f"**{label}**", "", *body, ""] if body else []
    return lines


def _bot_line(repository: Repository, period: Period, bot: BotUpdates) -> str:
    noun = "dependency update" if bot.bot.lower() in DEPENDENCY_BOTS else "update"
    name = escape(bot.bot)
    if repository.kind != "github":  # no list to link to: the shas are the list
        shas = ", ".join(code(sha[:7]) for sha in bot.shas[:SHOWN])
        hidden = len(bot.shas) - SHOWN
        rest = f" and {hidden} more" if hidden > 0 else ""
        return f"- {_plural(bot.commits, noun)} by {name}: {shas}{rest}"
    author = search_author(bot.login, is_bot=True) if bot.login else None
    parts = []
    if bot.pulls_merged:
        by = f" author:{author}" if author else ""
        url = _merged_search(repository, period, by) if author else None
        parts.append(link(f"{_plural(bot.pulls_merged, noun)} by {name}", url))
    if bot.commits:
        # GitHub's commit list knows a bot's commits by its login with the suffix.
        url = _commits_url(repository, period, bot.login or f"{bot.bot}[bot]")
        label = (
            _plural(bot.commits, "commit") if parts else f"{_plural(bot.commits, noun)} by {name}"
        )
        parts.append(link(label, url))
    line = "- " + _and(parts) if parts else f"- {name}"
    if bot.pulls_waiting:
        query = f"is:pr is:open review:none author:{author}" if author else None
        waiting = f"{bot.pulls_waiting} waiting for review"
        line += f"; {link(waiting, _search(repository, query) if query else None)}"
    return line if parts else f"- {_plural(bot.pulls_waiting, noun)} by {name} waiting for review"


def _new_contributors(items: DigestItems) -> list[str]:
    if not items.new_contributors:
        return []
    people = len(items.new_contributors)
    welcome = (
        "A warm welcome to our first-time contributor, and thank you:"
        if people == 1
        else f"A warm welcome to our {people} first-time contributors, and thank you:"
    )
    return [welcome, "", *(f"- {link(escape(c.name), c.url)}" for c in items.new_contributors)]


def _direct_commits(repository: Repository, period: Period, items: DigestItems) -> list[str]:
    """Commits that came through no pull request of the period, newest first."""
    shown = items.direct_commits[:SHOWN]
    total = sum(entry.count for entry in items.direct_commit_kinds)
    lines = [_commit_line(commit) for commit in shown]
    return lines + _more(total - len(shown), _commits_url(repository, period))


def _section(title: str, lines: Iterable[str], level: str = "##") -> list[str]:
    body = list(lines)
    while body and not body[-1]:
        body.pop()
    return [f"{level} {title}", "", *body, ""] if body else []


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


def _sections(
    repository: Repository,
    period: Period,
    metrics: MetricsV1,
    items: DigestItems,
    sections: Collection[str],
) -> list[tuple[str, Iterable[str]]]:
    """(heading, lines) in reading order, each only when the monitor chose it: what
    shipped, then what needs someone, then the rest, and the figures last."""
    chosen = set(sections)
    shipped = "shipped" in chosen
    # A source that knows no pull requests (local git): its commits are what shipped.
    commits_shipped = metrics.prs_opened is None
    listed: list[tuple[str, bool, Callable[[], Iterable[str]]]] = [
        (
            "Shipped",
            shipped,
            lambda: (
                _shipped_commits(period, items)
                if commits_shipped
                else _shipped_pulls(repository, period, items)
            ),
        ),
        ("Needs attention", True, lambda: _needs_attention(repository, period, items, chosen)),
        ("Releases", "releases" in chosen, lambda: map(_release_line, items.releases)),
        (
            "Dependency and bot updates",
            shipped,
            lambda: (_bot_line(repository, period, bot) for bot in items.bot_updates),
        ),
        ("New contributors", "new_contributors" in chosen, lambda: _new_contributors(items)),
        (
            "Commits",
            shipped and not commits_shipped,
            lambda: _direct_commits(repository, period, items),
        ),
        ("Numbers", "numbers" in chosen, lambda: numbers_table(metrics)),
    ]
    return [(heading, make()) for heading, wanted, make in listed if wanted]


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
    if items.repositories:
        return _write_several(title, period, metrics, items, sections)
    lines = [title, "", f"**{headline(metrics)}**", ""]
    for heading, body in _sections(repository, period, metrics, items, sections):
        lines += _section(heading, body)
    return "\n".join(lines)


# Several repositories -------------------------------------------------------------------


def _period_words(period: Period) -> str:
    days = (period.until - period.since) / timedelta(days=1)
    return "this week" if days == 7 else "today" if days == 1 else "this period"


def _several_headline(metrics: MetricsV1, count: int) -> str:
    """The totals' headline, said of all the repositories."""
    sentence = headline(metrics)
    return f"Across {count} repositories: {sentence[0].lower()}{sentence[1:]}"


def _by_repository(metrics: MetricsV1, names: list[str]) -> list[str]:
    """One row per repository of the figures a reader compares them by."""
    each = metrics.repositories or {}
    columns = (
        ("Commits", "commits"),
        ("PRs merged", "prs_merged"),
        ("PRs opened", "prs_opened"),
        ("Waiting for review", "prs_stale"),
        ("Issues opened", "issues_opened"),
        ("Releases", "releases"),
    )
    rows = [
        "| repository | " + " | ".join(label for label, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name in names:
        figures = each.get(name)
        if figures is not None:
            cells = [_figure(getattr(figures, key)) for _, key in columns]
            rows.append(f"| {escape(name)} | " + " | ".join(cells) + " |")
    return rows


def _write_several(
    title: str,
    period: Period,
    metrics: MetricsV1,
    items: DigestItems,
    sections: Collection[str],
) -> str:
    """Across several repositories: the totals' headline, the quiet ones in one line,
    then a section per repository (most active first, as `items.repositories` is
    ordered) with its own headline and sections one level down, and the numbers last:
    the totals, and a row per repository."""
    parts = items.repositories
    quiet = [part for part in parts if part.quiet]
    active = [part for part in parts if not part.quiet]
    if not active:
        return "\n".join(
            [
                title,
                "",
                f"A quiet period across {_plural(len(parts), 'repository', 'repositories')}: "
                "no commits, pull requests, issues or releases.",
                "",
            ]
        )
    lines = [title, "", f"**{_several_headline(metrics, len(parts))}**", ""]
    if quiet:
        names = ", ".join(escape(display_name(part.repository)) for part in quiet)
        lines += [f"Quiet {_period_words(period)}: {names}.", ""]
    each = metrics.repositories or {}
    chosen = [section for section in sections if section != "numbers"]
    for part in active:
        figures = each.get(part.repository.name)
        if figures is None:
            continue
        lines += [f"## {link(escape(display_name(part.repository)), part.repository.url)}", ""]
        lines += [f"**{headline(figures)}**", ""]
        for heading, body in _sections(part.repository, period, figures, part.items, chosen):
            lines += _section(heading, body, "###")
    if "numbers" in sections:
        followed = [part.repository.name for part in parts]
        table = [*numbers_table(metrics), "", *_by_repository(metrics, followed)]
        lines += _section("Numbers", table)
    return "\n".join(lines)
