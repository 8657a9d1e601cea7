"""The grounding checks, sentence by sentence, case by case.

One week (tests/digests/test_metrics.py) whose pull requests #2 and #3 have digits in
their titles that are no figure, with a previous week of 11 commits and 17 merged pull
requests (and 9 open at its end). This week: 4 commits, 3 merged, 6 opened, 5 open at the
end, 2 issues opened and 2 closed, 2 releases, 3 contributors, 1 new, merged in a median
of 12 hours; so 5, 12 and 48 are this week's figures, 11 and 17 are the previous week's
alone, and 7 (|4 - 11|) and 14 (|3 - 17|) are differences alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.grounding import CheckName, GroundedSentence
from infrasync.digests.metrics import PeriodFigures, compute_metrics
from infrasync.sources.model import Person
from infrasync.writers.llm import HEADLINE, FactSheet, build_facts, check, metric_numbers
from tests.digests.test_metrics import COMMITS, PULLS, RELEASES, at, review, week

_QUOTED: dict[int, dict[str, object]] = {
    2: {
        "title": "Fix 404 on login",
        "labels": ("wait 72 hours",),
        "reviews": (*PULLS[1].reviews, review(Person(login="1337"), at(4, 20))),
    },
    3: {"title": "Squash 10 commits into one"},
}
TITLED = week(
    pull_requests=tuple(p.model_copy(update=_QUOTED.get(p.number, {})) for p in PULLS),
    commits=(COMMITS[0].model_copy(update={"message": "Bump Python to 3.13"}), *COMMITS[1:]),
    releases=(
        RELEASES[0].model_copy(update={"tag_name": "2026.11", "name": "2026.11 brings 40 fixes"}),
        *RELEASES[1:],
    ),
)
_NOW = compute_metrics(TITLED)
PREVIOUS = PeriodFigures.model_validate(
    {
        **_NOW.model_dump(exclude={"schema_version", "previous"}),
        "commits": 11,
        "prs_merged": 17,
        "prs_open_at_end": 9,
    }
)
METRICS = _NOW.model_copy(update={"previous": PREVIOUS})
REPOSITORY, PERIOD_OF = repository_of(TITLED), period_of(TITLED)
ITEM = "https://github.com/acme/app/pull/2"
# Every figure, and one item: the claims below are judged on their words alone.
EVERY_FIGURE = (*metric_numbers(METRICS), "pr:2")
# The sheet cut to fit: the merged pull requests and the stale one are listed, issue #20
# is not (test_the_fact_sheets_are_what_the_cases_say).
CUT_AT = 1400


def fact_sheet(*, cut: bool = False) -> FactSheet:
    """Made in each test, never at import: what it is made of is under test too."""
    items = build_items(TITLED)
    if cut:
        return build_facts(repository_of(TITLED), period_of(TITLED), METRICS, items, CUT_AT)
    return build_facts(repository_of(TITLED), period_of(TITLED), METRICS, items)


@dataclass(frozen=True)
class Case:
    text: str
    # None: the sentence passes every check; else the check it fails and why.
    refused: tuple[CheckName, str] | None
    cites: tuple[str, ...] = EVERY_FIGURE
    section: str = "shipped"
    cut: bool = False  # checked against the fact sheet cut to fit


ACCEPT = None
ADDRESS: tuple[CheckName, str] = ("no_urls", "writes an address")
NOT_CITED: tuple[CheckName, str] = (
    "numbers",
    "no figure it cites, nor a count of the items it cites",
)


def claim(reason: str) -> tuple[CheckName, str]:
    return ("numbers", reason)


CASES: dict[str, Case] = {
    # Citations: a sentence is about items; the headline may stand on figures alone.
    "a sentence citing an item": Case("PR 1 shipped.", ACCEPT, ("pr:1",)),
    "a sentence citing nothing": Case("Things shipped.", ("citations", "cites no item"), ()),
    "a sentence citing figures only": Case(
        "3 pull requests were merged.", ("citations", "cites no item"), ("metric:prs_merged",)
    ),
    "the headline citing figures only": Case(
        "3 pull requests were merged.", ACCEPT, ("metric:prs_merged",), HEADLINE
    ),
    "the headline citing an item": Case("PR 1 shipped.", ACCEPT, ("pr:1",), HEADLINE),
    "the headline citing nothing": Case(
        "A calm week.", ("citations", "the headline 'A calm week.' cites no figure"), (), HEADLINE
    ),
    # Known items: only what the facts list, by id and by #N in the words.
    "an item no list has": Case(
        "PR 4 was closed.", ("known_items", "cites what the facts do not give: pr:4"), ("pr:4",)
    ),
    "an item no list has, beside a real one": Case(
        "PR 1 and PR 4 landed.", ("known_items", "do not give: pr:4"), ("pr:1", "pr:4")
    ),
    "an id of no kind": Case(
        "It shipped.", ("known_items", "give: ticket:1"), ("pr:1", "ticket:1")
    ),
    "a figure of no name": Case(
        "3 bugs died.", ("known_items", "give: metric:bugs_fixed"), ("pr:1", "metric:bugs_fixed")
    ),
    "a number it names but does not cite": Case(
        "#4 was closed too.", ("known_items", "names #4 without citing it"), ("pr:2",)
    ),
    "a number it names and cites": Case("#2 Fix 404 on login landed.", ACCEPT, ("pr:2",)),
    "an issue it names and cites": Case("#20 Crash is gone.", ACCEPT, ("issue:20",)),
    "an item still listed after the cut": Case("PR 1 shipped.", ACCEPT, ("pr:1",), cut=True),
    "an item cut from the facts": Case(
        "Crash was closed.", ("known_items", "do not give: issue:20"), ("issue:20",), cut=True
    ),
    # Numbers: a figure the sentence cites, or a count of what it cites.
    "a figure it does not cite": Case("The team merged 3 pull requests.", NOT_CITED, ("pr:1",)),
    "a figure it cites": Case(
        "The team merged 3 pull requests.", ACCEPT, ("pr:1", "metric:prs_merged")
    ),
    "a count of the items it cites": Case("2 pull requests shipped.", ACCEPT, ("pr:1", "pr:2")),
    "a count of one kind of what it cites": Case(
        "2 pull requests fix 1 issue.", ACCEPT, ("pr:1", "pr:2", "issue:20")
    ),
    "a count of more than it cites": Case("3 pull requests shipped.", NOT_CITED, ("pr:1", "pr:2")),
    "a figure cited twice counts once": Case(
        "2 pull requests shipped.", NOT_CITED, ("pr:1", "pr:1")
    ),
    "a number of nothing": Case("The team merged 3 pull requests in 19 days.", NOT_CITED),
    "figures that no list counts": Case(
        "5 pull requests were still open; merging took a median of 12 hours, at most 48.", ACCEPT
    ),
    # Claims: each one stated, not only the first of its kind.
    "a second claim of the same kind": Case(
        "The team merged 3 pull requests. In all, 6 pull requests were merged.",
        claim("'6 pull requests were merged' but prs_merged is 3"),
    ),
    "a second claim in the same words": Case(
        "The team merged 3 pull requests; the bots merged 2 pull requests.",
        claim("'merged 2 pull requests' but prs_merged is 3"),
    ),
    "the same claim twice": Case(
        "3 pull requests were merged. Of the 3 pull requests merged, one was a bot's.", ACCEPT
    ),
    "a wrong number of commits": Case("There were 5 commits.", claim("but commits is 4")),
    "a wrong number of authors": Case("4 commits by 3 authors.", claim("but authors is 2")),
    "a wrong number of opened pull requests": Case(
        "ada opened 2 pull requests.", claim("but prs_opened is 6")
    ),
    "a wrong number of opened issues": Case("opened 3 issues", claim("but issues_opened is 2")),
    "a wrong number of closed issues": Case("1 issue was closed.", claim("but issues_closed is 2")),
    "a wrong number of releases": Case("5 releases shipped.", claim("but releases is 2")),
    "a wrong number of contributors": Case("2 contributors", claim("but contributors is 3")),
    "a wrong number of newcomers": Case(
        "2 new contributors", claim("first_time_contributors is 1")
    ),
    # The previous period: its figures, and differences, where a sentence speaks of it.
    "the previous period's figure": Case(
        "The team merged 3 pull requests, against 17 the week before.", ACCEPT
    ),
    "a claim about the previous period": Case(
        "17 pull requests were merged the week before; this week, 3.", ACCEPT
    ),
    "the previous period's figure as this period's": Case(
        "The team merged 17 pull requests.", claim("but prs_merged is 3")
    ),
    "the previous period's figure, and the previous period in another sentence": Case(
        "The team merged 17 pull requests. The week before was quieter.",
        claim("prs_merged is 3"),
    ),
    "the previous period in the sentence before": Case(
        "The week before was busier. The team merged 17 pull requests.",
        claim("prs_merged is 3"),
    ),
    "the previous period at the start of the text": Case(
        "Before this week, 17 pull requests were merged in one week.", ACCEPT
    ),
    "a wrong claim after one about the previous period": Case(
        "17 pull requests were merged the week before. 6 pull requests were merged this week.",
        claim("'6 pull requests were merged' but prs_merged is 3"),
    ),
    "a wrong claim after a difference": Case(
        "This week saw 7 commits fewer than last week, and 5 commits were reverts.",
        claim("'5 commits' but commits is 4"),
    ),
    "another figure of the previous period": Case(
        "The week before, 11 issues were opened.", claim("but issues_opened is 2")
    ),
    "a difference between periods": Case(
        "There were 4 commits, 7 fewer than the week before.", ACCEPT
    ),
    "a difference stated as a claim": Case("This week saw 7 commits fewer than last week.", ACCEPT),
    "a difference as this period's figure": Case("The team made 7 commits.", claim("commits is 4")),
    "a difference as the previous period's figure": Case(
        "Last week there were 7 commits.", claim("but commits is 4")
    ),
    "a difference of something else": Case(
        "The team merged 7 pull requests fewer than last week.", claim("but prs_merged is 3")
    ),
    "the previous period's figure of a figure it does not cite": Case(
        "There were 11 commits the week before.", NOT_CITED, ("pr:1", "metric:prs_merged")
    ),
    # Digits in titles, tags and ids are theirs, and nowhere else.
    "a title's number": Case("#2 Fix 404 on login landed.", ACCEPT),
    "a title that reads like a claim": Case(
        "#3 Squash 10 commits into one landed.", ACCEPT, ("pr:3",)
    ),
    "a title's number outside the title": Case("The 404 on login is gone.", NOT_CITED),
    "a title's number as a figure": Case("The team made 10 commits.", claim("but commits is 4")),
    "a label's number": Case("#2 is labelled wait 72 hours.", ACCEPT),
    "a commit message's number": Case("A commit did Bump Python to 3.13 today.", ACCEPT),
    "a reviewer's login of digits": Case("1337 reviewed #2.", ACCEPT, ("pr:2", "person:1337")),
    "a release's tag, and its name that holds it": Case(
        "Out now: 2026.11, announced as 2026.11 brings 40 fixes.", ACCEPT, ("release:2026.11",)
    ),
    "a release's number outside its name": Case("It brings 40 fixes.", NOT_CITED),
    "an id written into the words": Case("See pr:2 for the fix.", ACCEPT, ("pr:2",)),
    "digits glued to a title": Case("#3 Squash 10 commits into one19 times.", NOT_CITED, ("pr:3",)),
    # Addresses: the model writes none; the links come from the ids.
    "an item's link": Case(f"#2 Fix 404 on login ([link]({ITEM})).", ADDRESS),
    "a link ending a sentence": Case(f"See {ITEM}.", ADDRESS),
    "the repository's link": Case("All in https://github.com/acme/app.", ADDRESS),
    "an item's link without its scheme": Case("See github.com/acme/app/pull/2.", ADDRESS),
    "a bare host": Case("Mirror at www.github-acme.example today.", ADDRESS),
    "another scheme": Case("See http://github.com/acme/app/pull/2", ADDRESS),
    "digits glued to a link": Case(f"Merged 19{ITEM} today.", ADDRESS),
}


@pytest.mark.parametrize("name", list(CASES))
def test_grounding(name: str) -> None:
    case = CASES[name]
    sentence = GroundedSentence(section=case.section, text=case.text, cites=case.cites)
    outcomes = check([sentence], fact_sheet(cut=case.cut), METRICS)
    failed = {outcome.check: outcome.problems for outcome in outcomes if not outcome.passed}
    if case.refused is None:
        assert failed == {}
    else:
        name_of_check, reason = case.refused
        assert name_of_check in failed, failed
        assert any(reason in problem for problem in failed[name_of_check]), failed


def test_every_check_is_reported_passed_or_failed() -> None:
    sentence = GroundedSentence(section="shipped", text="PR 1 shipped.", cites=("pr:1",))
    outcomes = check([sentence], fact_sheet(), METRICS)
    assert [(o.check, o.passed) for o in outcomes] == [
        ("citations", True),
        ("known_items", True),
        ("numbers", True),
        ("no_urls", True),
    ]


def test_the_fact_sheets_are_what_the_cases_say() -> None:
    cut, whole = fact_sheet(cut=True), fact_sheet()
    assert {"pr:1", "pr:2", "pr:3", "pr:5"} <= set(cut.sources)
    assert "issue:20" not in cut.sources
    assert any(issue.number == 20 for issue in build_items(TITLED).issues_closed)
    assert {"pr:2", "pr:3", "issue:20", "release:2026.11", "person:1337"} <= set(whole.sources)
    assert "pr:4" not in whole.sources
    every = set().union(*(whole.numbers[m] for m in metric_numbers(METRICS)))
    assert {5.0, 12.0, 48.0, 11.0, 17.0, 7.0, 14.0} <= every
    assert {10.0, 19.0, 404.0} & every == set()
    assert whole.numbers["metric:prs_merged"] == {3.0, 17.0, 14.0}


def test_a_source_that_cannot_know_a_figure_gives_no_id_for_it() -> None:
    local = week(pull_requests=None, issues=None)
    metrics = compute_metrics(local)
    facts = build_facts(repository_of(local), period_of(local), metrics, build_items(local))
    assert "metric:commits" in facts.numbers
    assert "metric:prs_merged" not in facts.numbers
    sentence = GroundedSentence(
        section=HEADLINE, text="No pull requests merged.", cites=("metric:prs_merged",)
    )
    failed = [o.check for o in check([sentence], facts, metrics) if not o.passed]
    assert failed == ["citations", "known_items"]
