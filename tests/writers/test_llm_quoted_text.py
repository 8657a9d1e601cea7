"""Digits inside what the facts quote (an author's login, a pull request's description, a
title that holds a label) are the quote's, not claims the AI writer's checks refuse."""

from __future__ import annotations

from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.grounding import GroundedSentence
from infrasync.sources.model import Person, PullRequest
from infrasync.writers.llm import build_facts, check
from tests.digests.test_metrics import PULLS, week
from tests.writers.test_llm_checks import METRICS


def _problems(
    text: str, *, pulls: tuple[PullRequest, ...], descriptions: dict[int, str]
) -> list[str]:
    activity = week(pull_requests=pulls)
    facts = build_facts(
        repository_of(activity),
        period_of(activity),
        METRICS,
        build_items(activity),
        descriptions=descriptions,
    )
    sentence = GroundedSentence(section="shipped", text=text, cites=("pr:1", "pr:2"))
    return [
        problem for outcome in check([sentence], facts, METRICS) for problem in outcome.problems
    ]


def test_an_authors_login_of_digits_is_quoted_not_claimed() -> None:
    pulls = (PULLS[0].model_copy(update={"author": Person(login="1999")}), *PULLS[1:])
    assert _problems("#1 PR 1 by 1999 shipped.", pulls=pulls, descriptions={}) == []
    assert _problems("#1 PR 1 by 1999 shipped.", pulls=PULLS, descriptions={}) != []


def test_a_descriptions_digits_are_quoted_not_claimed() -> None:
    text = "#1 says: Waits 19 seconds between tries."
    described = {PULLS[0].number: "Waits 19 seconds between tries."}
    assert _problems(text, pulls=PULLS, descriptions=described) == []
    assert _problems(text, pulls=PULLS, descriptions={}) != []


def test_a_title_that_holds_a_label_is_quoted_whole() -> None:
    """The label "wait 72 hours" inside the title must not break the title apart, which
    would leave its 19 looking like a claim."""
    title = "Ship 19 fixes, then wait 72 hours"
    labelled = PULLS[1].model_copy(update={"title": title, "labels": ("wait 72 hours",)})
    pulls = (PULLS[0], labelled, *PULLS[2:])
    assert _problems(f"#2 {title} landed.", pulls=pulls, descriptions={}) == []
