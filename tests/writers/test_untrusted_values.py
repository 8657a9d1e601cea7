"""Whatever a repository says (a title, a login, a tag, a name) the builtin digest shows as
that text, and nothing else: rendered to HTML, the value is text inside the one node where
a plain word would be, and the page has exactly the elements and links it would have had.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrasync.digests.document import (
    CommitItem,
    ContributorItem,
    DigestItems,
    IssueItem,
    KindCount,
    Period,
    PullItem,
    ReleaseItem,
    Repository,
)
from infrasync.digests.metrics import MetricsV1, compute_metrics
from infrasync.renderers.email import safe_html
from infrasync.writers.builtin import write
from tests.digests.test_metrics import week

# A word, and words: a code span is never made of two.
PLACEHOLDERS = ("Placeholder", "Place holder")
WHEN = datetime(2026, 11, 4, 12, tzinfo=UTC)
PERIOD = Period(since=datetime(2026, 11, 2, tzinfo=UTC), until=datetime(2026, 11, 9, tzinfo=UTC))
GITHUB = Repository(kind="github", name="acme/app", url="https://github.com/acme/app")
LOCAL = Repository(kind="git", name="/srv/app", url=None)
GITHUB_METRICS = compute_metrics(week())
LOCAL_METRICS = compute_metrics(week(pull_requests=None, issues=None))
Digest = tuple[Repository, MetricsV1, DigestItems]


def _pull(title: str = "PR 1", author: str | None = "ada") -> DigestItems:
    pull = PullItem(
        number=1,
        title=title,
        url="https://github.com/acme/app/pull/1",
        author=author,
        created_at=WHEN,
        merged_at=WHEN,
    )
    return DigestItems(merged=(pull,))


def _issue(title: str) -> DigestItems:
    issue = IssueItem(
        number=2,
        title=title,
        url="https://github.com/acme/app/issues/2",
        author="cy",
        created_at=WHEN,
    )
    # The builtin writer shows an issue where it needs an answer.
    return DigestItems(issues_opened=(issue,), unanswered_issues=(issue,))


def _release(tag: str, name: str | None, url: str | None) -> DigestItems:
    return DigestItems(releases=(ReleaseItem(tag=tag, name=name, url=url, published_at=WHEN),))


def _commit(message: str = "Fix it", author: str | None = "Ada") -> DigestItems:
    commit = CommitItem(
        sha="0123456789abcdef", message=message, url=None, author=author, committed_at=WHEN
    )
    # A local digest shows its commits by people in Shipped, counted by kind.
    return DigestItems(
        commits=(commit,),
        direct_commits=(commit,),
        direct_commit_kinds=(KindCount(kind=commit.kind, count=1),),
    )


def _contributor(name: str, url: str | None) -> DigestItems:
    return DigestItems(new_contributors=(ContributorItem(name=name, url=url),))


# Every place the builtin writer puts a value from the repository.
PLACES: dict[str, Callable[[str], Digest]] = {
    "pull request title": lambda v: (GITHUB, GITHUB_METRICS, _pull(title=v)),
    "pull request author": lambda v: (GITHUB, GITHUB_METRICS, _pull(author=v)),
    "issue title": lambda v: (GITHUB, GITHUB_METRICS, _issue(v)),
    "release name": lambda v: (
        GITHUB,
        GITHUB_METRICS,
        _release("v1", v, "https://github.com/acme/app/releases/v1"),
    ),
    "release tag, linked": lambda v: (
        GITHUB,
        GITHUB_METRICS,
        _release(v, None, "https://github.com/acme/app/releases/v1"),
    ),
    "release tag, unlinked": lambda v: (GITHUB, GITHUB_METRICS, _release(v, None, None)),
    "commit message": lambda v: (LOCAL, LOCAL_METRICS, _commit(message=v)),
    "commit author": lambda v: (LOCAL, LOCAL_METRICS, _commit(author=v)),
    "contributor, linked": lambda v: (
        GITHUB,
        GITHUB_METRICS,
        _contributor(v, "https://github.com/someone"),
    ),
    "contributor, unlinked": lambda v: (GITHUB, GITHUB_METRICS, _contributor(v, None)),
    "repository name": lambda v: (
        Repository(kind="github", name=v, url=None),
        GITHUB_METRICS,
        _pull(),
    ),
}


class _Events(HTMLParser):
    """The HTML as a browser builds it: elements with their attributes, and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", (tag, attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.events and self.events[-1][0] == "text":
            data = f"{self.events.pop()[1]}{data}"
        self.events.append(("text", data))

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment", data))


def rendered(place: str, value: str) -> list[tuple[str, object]]:
    repository, metrics, items = PLACES[place](value)
    parser = _Events()
    parser.feed(safe_html(write(repository, PERIOD, metrics, items)))
    parser.close()
    return parser.events


def shown(value: str) -> str:
    """What a reader sees of a value: its words, one space apart, and no control
    characters (which no page or chat can show)."""
    visible = "".join(c for c in value if c.isspace() or unicodedata.category(c) != "Cc")
    return " ".join(visible.split())


# Values that once escaped, or could: code spans, links, HTML, entities, block syntax.
TRICKY = [
    "`",
    "v1`",
    "``v1``",
    "a ` b",
    "` <b>x</b> `",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "<script>alert(1)</script>",
    "<https://evil.example>",
    "&amp; &lt;b&gt; &#96; &#x60;",
    "- item",
    "1. first",
    "2) second",
    "# heading",
    "> quote",
    "***",
    "---",
    "*a* _b_ **c** __d__ ~~e~~",
    "a\\",
    "\\`",
    "| a | b |",
    "x\n\n# injected heading",
    "trailing  \nbreak",
]


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
@pytest.mark.parametrize("place", list(PLACES))
def test_a_plain_value_is_one_text_node(place: str, placeholder: str) -> None:
    texts = [text for kind, text in rendered(place, placeholder) if kind == "text"]
    assert sum(placeholder in str(text) for text in texts) == 1


def page_with(place: str, placeholder: str, value: str) -> list[tuple[str, object]]:
    """The page made with `placeholder`, with the value in the placeholder's place."""
    return [
        (kind, str(data).replace(placeholder, shown(value)) if kind == "text" else data)
        for kind, data in rendered(place, placeholder)
    ]


def assert_shown_as_text(place: str, value: str) -> None:
    """The page is a plain value's page, with the value in the plain value's place. A tag
    is shown as code only when no character of it could end the code span, so it may
    have a single word's page or several words' page."""
    actual = rendered(place, value)
    if actual != page_with(place, PLACEHOLDERS[0], value):
        assert actual == page_with(place, PLACEHOLDERS[1], value)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("place", list(PLACES))
def test_tricky_values_stay_text(place: str, value: str) -> None:
    assert_shown_as_text(place, value)


@pytest.mark.parametrize("place", list(PLACES))
@settings(max_examples=150, deadline=None)
@given(value=st.text(min_size=1).filter(shown))
def test_any_value_stays_text(place: str, value: str) -> None:
    assert_shown_as_text(place, value)
