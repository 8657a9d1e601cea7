"""Reading a model's answer, whatever the endpoint: JSON under a schema, JSON fenced or
wrapped in prose, or plain lines ending in their ids; and never an exception, whatever
the model writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from infrasync.digests.document import build_items
from infrasync.digests.grounding import GroundedSentence
from infrasync.writers.llm import HEADLINE, FactSheet, build_facts, judge, read_answer, render
from tests.digests.test_metrics import week
from tests.writers.test_llm_checks import METRICS, PERIOD_OF, REPOSITORY, fact_sheet

ANSWER = {
    "headline": {"text": "The team merged 3 pull requests.", "cites": ["metric:prs_merged"]},
    "sections": [
        {"section": "shipped", "sentences": [{"text": "PR 1 shipped.", "cites": ["pr:1"]}]}
    ],
}
SENTENCES = (
    GroundedSentence(
        section=HEADLINE, text="The team merged 3 pull requests.", cites=("metric:prs_merged",)
    ),
    GroundedSentence(section="shipped", text="PR 1 shipped.", cites=("pr:1",)),
)


def test_json_under_the_schema() -> None:
    reading = read_answer(json.dumps(ANSWER), fact_sheet(), structured=True)
    assert (reading.format, reading.sentences, reading.problems) == ("json_schema", SENTENCES, ())


def test_json_without_the_schema() -> None:
    reading = read_answer(json.dumps(ANSWER), fact_sheet(), structured=False)
    assert (reading.format, reading.sentences) == ("json", SENTENCES)


def test_fenced_json_with_prose_around_it() -> None:
    text = f"Sure! Here is the digest:\n\n```json\n{json.dumps(ANSWER, indent=2)}\n```\nEnjoy."
    reading = read_answer(text, fact_sheet(), structured=False)
    assert (reading.format, reading.sentences) == ("json", SENTENCES)


def test_json_inside_prose_without_a_fence() -> None:
    text = f"Thinking {{about it}}... {json.dumps(ANSWER)} Hope that helps {{!}}"
    reading = read_answer(text, fact_sheet(), structured=False)
    assert (reading.format, reading.sentences) == ("json", SENTENCES)


def test_a_headline_as_a_string_and_a_lone_id_as_a_string() -> None:
    loose = {
        "headline": "The team merged 3 pull requests.",
        "sections": [
            {"section": "shipped", "sentences": [{"text": "PR 1 shipped.", "cites": "pr:1"}]}
        ],
    }
    reading = read_answer(json.dumps(loose), fact_sheet(), structured=False)
    assert reading.sentences[1] == SENTENCES[1]
    assert reading.sentences[0].cites == ()
    # Then the checks say so: a headline citing nothing states a figure it does not cite.
    failed = [o.check for o in judge(reading, fact_sheet(), METRICS) if not o.passed]
    assert failed == ["citations", "numbers"]


def test_plain_lines_with_their_ids() -> None:
    text = (
        "# acme/app this week\n\n"
        "**The team merged 3 pull requests.** [metric:prs_merged]\n\n"
        "## Shipped\n\n"
        "- PR 1 shipped. [pr:1]\n"
    )
    reading = read_answer(text, fact_sheet(), structured=False)
    assert (reading.format, reading.sentences, reading.problems) == ("text", SENTENCES, ())


def test_plain_lines_name_sections_by_heading_or_key() -> None:
    text = (
        "A busy week. [metric:commits]\n## Needs attention\nPR 5 waits. [pr:5]\n"
        "### in_review\nPR 7 is new. [pr:7, pr:8]"
    )
    reading = read_answer(text, fact_sheet(), structured=False)
    assert [(s.section, s.cites) for s in reading.sentences] == [
        (HEADLINE, ("metric:commits",)),
        ("needs_attention", ("pr:5",)),
        ("in_review", ("pr:7", "pr:8")),
    ]


def test_shapes_that_are_refused() -> None:
    facts = fact_sheet()
    refused = {
        "": "the model returned no text",
        "[1, 2]": "the JSON is not in the asked shape",
        json.dumps({"sections": []}): "the answer has no headline",
        json.dumps({**ANSWER, "sections": [{"section": "gossip", "sentences": []}]}): (
            "sections not asked for: gossip"
        ),
        json.dumps(
            {**ANSWER, "sections": [{"section": "shipped", "sentences": [{"text": " "}]}]}
        ): ("an empty sentence"),
        "Line one.\nLine two.": "the answer has 2 headlines",
    }
    for text, problem in refused.items():
        reading = read_answer(text, facts, structured=False)
        assert any(problem in p for p in reading.problems), (text, reading.problems)
        assert [o.check for o in judge(reading, facts, METRICS)] == ["structure"]


def test_a_monitor_without_sections_takes_a_headline_alone() -> None:
    facts = build_facts(REPOSITORY, PERIOD_OF, METRICS, build_items(week()), sections=("numbers",))
    reading = read_answer(json.dumps({**ANSWER, "sections": []}), facts, structured=True)
    assert all(o.passed for o in judge(reading, facts, METRICS))
    assert read_answer(json.dumps(ANSWER), facts, structured=True).problems == (
        "the answer has sections not asked for: shipped",
    )


def test_the_models_words_stay_text_when_rendered() -> None:
    """A model that repeats a title such as `[click](javascript:…)` or `<b>` writes text:
    the only links in a rendered digest are the ones made from its ids."""
    sentence = GroundedSentence(
        section="shipped",
        text="PR 1: [click](javascript:alert(1)) <b>bold</b> # not a heading",
        cites=("pr:1",),
    )
    facts = fact_sheet()
    text = render([sentence], facts, REPOSITORY, PERIOD_OF, METRICS, ("shipped",))
    line = next(line for line in text.splitlines() if line.startswith("- "))
    assert line == (
        "- PR 1: \\[click\\]\\(javascript:alert\\(1\\)\\) \\<b\\>bold\\</b\\> \\# not a heading "
        "([#1](https://github.com/acme/app/pull/1))"
    )


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_any_answer_is_read_and_judged_without_an_exception(text: str) -> None:
    facts: FactSheet = fact_sheet()
    reading = read_answer(text, facts, structured=False)
    outcomes = judge(reading, facts, METRICS)
    assert outcomes[0].check == "structure"


@settings(max_examples=100, deadline=None)
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["headline", "sections", "section", "sentences", "text", "cites"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_is_read_and_judged_without_an_exception(document: object) -> None:
    facts = fact_sheet()
    judge(read_answer(json.dumps(document), facts, structured=True), facts, METRICS)
