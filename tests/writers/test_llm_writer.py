"""The LLM writer against a local OpenAI-compatible server with scripted answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet

from infrasync.config import Settings, load_settings
from infrasync.digests.compose import compose
from infrasync.digests.document import DigestItems, build_items, period_of, repository_of
from infrasync.digests.metrics import PeriodFigures, compute_metrics
from infrasync.sources.model import Person
from infrasync.writers.builtin import ALL_SECTIONS, numbers_table
from infrasync.writers.llm import (
    MAX_ANSWER_TOKENS,
    MAX_DESCRIPTION_CHARS,
    FactSheet,
    build_facts,
    check,
    system_prompt,
)
from tests.digests.test_metrics import (
    COMMITS,
    PULLS,
    RELEASES,
    SOURCE,
    ada,
    at,
    pull,
    review,
    week,
)
from tests.fakes.openai_server import Answer, Fail, FakeOpenAI, Stall, served_fake_openai

GROUNDED = """The team merged 3 pull requests and opened 6; 1 is waiting too long for review.

## Shipped
- #1 PR 1 by ada
- #2 PR 2 by bob ([link](https://github.com/acme/app/pull/2))
- #3 PR 3 by dependabot[bot]

## Needs attention
- #5 PR 5 has waited since before the week with no review.

## Issues
2 issues were opened and 2 closed, including #20 Crash.
"""


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with served_fake_openai() as fake:
        yield fake


@pytest.fixture
def llm_settings(model: FakeOpenAI) -> Settings:
    return load_settings(
        secret_key="s" * 40,
        encryption_keys=Fernet.generate_key().decode(),
        llm_base_url=f"{model.base_url}/v1",
        llm_api_key="sk-test-secret",
        llm_model="test-model",
    )


async def test_a_grounded_answer_is_used(model: FakeOpenAI, llm_settings: Settings) -> None:
    model.script = [Answer(GROUNDED)]
    digest = await compose(week(), None, llm_settings)
    assert digest.writer == "llm"
    assert digest.writer_note is None
    # The model's text, then the figures as the builtin writer tabulates them.
    assert digest.text.startswith(GROUNDED.strip() + "\n\n## Numbers\n")
    assert digest.text.endswith("\n".join(numbers_table(digest.metrics)))
    [request] = model.requests
    assert request["temperature"] == 0
    assert request["model"] == "test-model"
    assert model.authorizations == ["Bearer sk-test-secret"]


async def test_the_prompt_holds_facts_only(model: FakeOpenAI, llm_settings: Settings) -> None:
    model.script = [Answer(GROUNDED)]
    await compose(week(), None, llm_settings)
    [request] = model.requests
    assert [message["role"] for message in request["messages"]] == ["system", "user"]
    assert request["max_tokens"] == MAX_ANSWER_TOKENS
    prompt = request["messages"][1]["content"]
    assert prompt.splitlines()[0] == "Facts, one JSON object a line:"  # nothing was cut
    facts = [json.loads(line) for line in prompt.splitlines()[1:]]
    header = facts[0]
    assert set(header) == {
        "repository",
        "repository_url",
        "period",
        "figures",
        "previous_period_figures",
    }
    assert header["repository"] == "acme/app"
    assert header["repository_url"] == "https://github.com/acme/app"
    assert header["period"] == {
        "since": "2026-11-02T00:00:00+00:00",
        "until": "2026-11-09T00:00:00+00:00",
    }
    assert header["figures"]["prs_merged"] == 3
    assert header["previous_period_figures"] is None
    merged = next(section for section in facts[1:] if section["list"] == "Pull requests merged")
    assert set(merged["items"][0]) == {
        "number",
        "title",
        "author",
        "labels",
        "url",
        "changed_lines",
    }
    opened = next(section for section in facts[1:] if section["list"] == "Issues opened")
    assert opened["items"][0] == {
        "number": 20,
        "title": "Crash",
        "author": "cy",
        "labels": [],
        "url": "https://github.com/acme/app/issues/20",
    }


async def test_the_previous_period_rides_along_in_a_line_of_its_own(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    previous = week(commits=COMMITS[:1])
    model.script = [Answer(GROUNDED)]
    await compose(week(), previous, llm_settings)
    header = json.loads(model.requests[0]["messages"][1]["content"].splitlines()[1])
    assert "previous" not in header["figures"]
    assert header["figures"]["commits"] == 4
    assert header["previous_period_figures"]["commits"] == 1


async def test_a_fact_sheet_cut_to_fit_says_so_to_the_model(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    many = tuple(
        pull(
            100 + n,
            ada,
            at(3),
            title=f"A long title for change {n}: " + "words " * 30,
            state="merged",
            merged_at=at(4),
            closed_at=at(4),
        )
        for n in range(200)
    )
    model.script = [Answer("Many pull requests were merged.")]
    digest = await compose(week(pull_requests=many), None, llm_settings)
    assert digest.writer == "llm"
    first_line = model.requests[0]["messages"][1]["content"].splitlines()[0]
    assert first_line == (
        "Facts, one JSON object a line: Some lists were cut to fit; the facts say how many "
        "items were left out."
    )


async def test_descriptions_join_the_facts_only_when_given_and_stay_short(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    long = "Adds retries.\n\n" + "Waits 30 seconds between tries. " * 40
    activity = week(pull_requests=tuple(p.model_copy(update={"description": long}) for p in PULLS))
    model.script = [Answer(GROUNDED), Answer(GROUNDED)]
    await compose(activity, None, llm_settings)
    await compose(activity, None, llm_settings, pr_descriptions=True)
    without, with_descriptions = (r["messages"][1]["content"] for r in model.requests)
    assert "Adds retries" not in without
    facts = [json.loads(line) for line in with_descriptions.splitlines()[1:]]
    merged = next(section for section in facts[1:] if section["list"] == "Pull requests merged")
    description = merged["items"][0]["description"]
    assert description.startswith("Adds retries. Waits 30 seconds")  # one line, spaces kept
    assert len(description) == MAX_DESCRIPTION_CHARS
    assert description.endswith("…")


async def test_the_llm_writer_keeps_to_the_monitors_sections(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    releases_only = ("releases",)
    answer = "Two releases came out.\n\n## Releases\n- v1.0\n- v1.1-rc1"
    model.script = [Answer(answer), Answer(GROUNDED)]
    digest = await compose(week(), None, llm_settings, sections=releases_only)
    assert (digest.writer, digest.text) == ("llm", answer)  # no numbers table: not chosen
    system, user = (message["content"] for message in model.requests[0]["messages"])
    assert "headings for releases, and no other sections" in system
    assert "what shipped" not in system
    lists = [json.loads(line)["list"] for line in user.splitlines()[2:]]
    assert lists == ["Releases"]
    assert "figures" in json.loads(user.splitlines()[1])  # the summary stands on them
    # An answer about pull requests cites what the facts of these sections do not give.
    refused = await compose(week(), None, llm_settings, sections=releases_only)
    assert refused.writer == "builtin"
    assert refused.writer_note is not None
    assert "cites items not in the facts: #1, #2, #3, #5, #20" in refused.writer_note


async def test_the_numbers_table_follows_the_models_text_only_when_chosen(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    model.script = [Answer(GROUNDED), Answer(GROUNDED)]
    chosen = await compose(week(), None, llm_settings, sections=ALL_SECTIONS)
    left_out = await compose(
        week(), None, llm_settings, sections=tuple(s for s in ALL_SECTIONS if s != "numbers")
    )
    assert chosen.text == "\n".join(
        [GROUNDED.strip(), "", "## Numbers", "", *numbers_table(chosen.metrics)]
    )
    assert left_out.text == GROUNDED.strip()


def test_a_monitor_with_no_section_of_items_gets_a_summary() -> None:
    assert "\n- Write a one-sentence summary and nothing else.\n" in system_prompt(("numbers",))
    every = system_prompt()
    assert "\n- Start with a one-sentence summary, then sections with '## ' headings for " in every
    assert (
        "for what shipped, what is in review, what needs attention, issues, releases and "
        "new contributors, and no other sections" in " ".join(every.split())
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (GROUNDED.replace("#20 Crash", "#99 Crash"), "cites items not in the facts: #99"),
        (GROUNDED.replace("merged 3 pull", "merged 5 pull"), "but prs_merged is 3"),
        (GROUNDED.replace("merged 3 pull", "merged 8 pull"), "not computed figures: 8"),
        (GROUNDED.replace("2 issues were opened", "3 issues were opened"), "issues_opened is 2"),
        (GROUNDED + "\nSee https://evil.example/x", "links to what the facts do not give"),
    ],
)
async def test_an_ungrounded_answer_falls_back_to_builtin(
    model: FakeOpenAI, llm_settings: Settings, answer: str, reason: str
) -> None:
    model.script = [Answer(answer)]
    digest = await compose(week(), None, llm_settings)
    assert digest.writer == "builtin"
    assert digest.writer_note is not None
    assert reason in digest.writer_note
    assert digest.text.startswith("# acme/app")


async def test_a_refusal_gives_every_reason(model: FakeOpenAI, llm_settings: Settings) -> None:
    links = " ".join(f"https://evil.example/{n}" for n in range(4))
    model.script = [Answer(f"The team merged 8 pull requests in 19 days, #99 among them. {links}")]
    digest = await compose(week(), None, llm_settings)
    assert digest.writer_note == (
        "The LLM writer did not write this digest: the model's text failed its checks: "
        "cites items not in the facts: #99; links to what the facts do not give: "
        "https://evil.example/0, https://evil.example/1, https://evil.example/2; "
        "states numbers that are not computed figures: 8, 19; "
        "'merged 8 pull requests' but prs_merged is 3."
    )


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (Fail(500), "InternalServerError"),
        (Fail(401, "Incorrect API key provided: sk-test-secret"), "AuthenticationError"),
        (Stall(2.0), "APITimeoutError"),
        (Answer("  \n "), "this digest: the model returned no text."),
    ],
)
async def test_a_failing_model_falls_back_to_builtin(
    model: FakeOpenAI, llm_settings: Settings, step: Fail | Stall | Answer, reason: str
) -> None:
    model.script = [step]
    digest = await compose(week(), None, llm_settings, llm_timeout_s=0.5)
    assert digest.writer == "builtin"
    assert digest.writer_note is not None
    assert reason in digest.writer_note
    assert "sk-test-secret" not in digest.writer_note


async def test_no_model_configured_means_builtin(llm_settings: Settings) -> None:
    unset = llm_settings.model_copy(update={"llm_base_url": None})
    automatic = await compose(week(), None, unset)
    assert (automatic.writer, automatic.writer_note) == ("builtin", None)
    asked = await compose(week(), None, unset, writer="llm")
    assert asked.writer == "builtin"
    assert asked.writer_note == (
        "The LLM writer did not write this digest: no model is configured "
        "(INFRASYNC_LLM_BASE_URL, INFRASYNC_LLM_MODEL)."
    )


async def test_builtin_is_used_when_chosen_even_with_a_model(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    digest = await compose(week(), None, llm_settings, writer="builtin")
    assert digest.writer == "builtin"
    assert model.requests == []


def test_a_long_fact_sheet_is_cut_by_priority_and_says_so() -> None:
    activity = week()
    facts = build_facts(
        repository_of(activity),
        period_of(activity),
        compute_metrics(activity),
        build_items(activity),
        max_chars=1200,
    )
    assert facts.truncated
    assert "more not listed" in facts.text
    assert "Pull requests merged" in facts.text  # the most important list comes first
    assert SOURCE.name in facts.text


# The grounding checks, case by case ------------------------------------------------------
#
# One week (tests/digests/test_metrics.py) whose pull requests #2 and #3 have digits in
# their titles that are no figure, with a previous week of 11 commits and 17 merged pull
# requests (and 9 open at its end). This week: 4 commits, 3 merged, 6 opened, 5 open at
# the end, 2 issues opened and 2 closed, 2 releases, 3 contributors, 1 new, merged in a
# median of 12 hours; so 5, 12 and 48 are this week's figures and no list's length, 11 and
# 17 are the previous week's alone, and 7 (|4 - 11|) and 14 (|3 - 17|) are differences
# alone.

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
ITEM = "https://github.com/acme/app/pull/2"
SOURCE_REPOSITORY = repository_of(TITLED)
PERIOD = period_of(TITLED)


def fact_sheet(*, cut: bool = False) -> FactSheet:
    """Made in each test, never at import: what it is made of is under test too."""
    items = build_items(TITLED)
    if cut:  # the merged pull requests and the stale one are listed, issue #20 is not
        return build_facts(repository_of(TITLED), period_of(TITLED), METRICS, items, 1600)
    return build_facts(repository_of(TITLED), period_of(TITLED), METRICS, items)


ACCEPT = None
NOT_GIVEN = "links to what the facts do not give"
NOT_A_FIGURE = "not computed figures"


@dataclass(frozen=True)
class Case:
    text: str
    refused_because: str | None  # None: the text is accepted
    cut: bool = False  # checked against the fact sheet cut to fit


CASES: dict[str, Case] = {
    # Links: exactly the addresses the facts give, nothing that merely looks like them.
    "an item's link": Case(f"#2 Fix 404 on login ([link]({ITEM})).", ACCEPT),
    "a link ending a sentence": Case(f"See {ITEM}.", ACCEPT),
    "the repository's link": Case("All in https://github.com/acme/app.", ACCEPT),
    "a new contributor's profile": Case("Welcome https://github.com/cy!", ACCEPT),
    "an item's link without its scheme": Case("See github.com/acme/app/pull/2.", ACCEPT),
    "a lookalike repository": Case("See https://github.com/acme/app-evil/pull/2.", NOT_GIVEN),
    "a lookalike without a scheme": Case("See github.com/acme/app-evil for more.", NOT_GIVEN),
    "a bare lookalike host": Case("Mirror at www.github-acme.example today.", NOT_GIVEN),
    "a lookalike host": Case("See https://github.com.evil.example/acme/app/pull/2", NOT_GIVEN),
    "a path that climbs out": Case(f"See {ITEM}/../../../../evil/app", NOT_GIVEN),
    "another scheme": Case("See http://github.com/acme/app/pull/2", NOT_GIVEN),
    "the item inside another site's link": Case(f"See https://evil.example/?u={ITEM}", NOT_GIVEN),
    "an item of the repository the facts do not give": Case(
        "See https://github.com/acme/app/pull/4", NOT_GIVEN
    ),
    # Claims: each one stated, not only the first of its kind.
    "a second claim of the same kind": Case(
        "The team merged 3 pull requests. In all, 6 pull requests were merged.",
        "'6 pull requests were merged' but prs_merged is 3",
    ),
    "a second claim in the same words": Case(
        "The team merged 3 pull requests; the bots merged 2 pull requests.",
        "'merged 2 pull requests' but prs_merged is 3",
    ),
    "the same claim twice": Case(
        "3 pull requests were merged. Of the 3 pull requests merged, one was a bot's.", ACCEPT
    ),
    "a wrong number of commits": Case("There were 5 commits.", "but commits is 4"),
    "a wrong number of authors": Case("4 commits by 3 authors.", "but authors is 2"),
    "a wrong number of opened pull requests": Case(
        "ada opened 2 pull requests.", "but prs_opened is 6"
    ),
    "a wrong number of opened issues": Case("opened 3 issues", "but issues_opened is 2"),
    "a wrong number of closed issues": Case("1 issue was closed.", "but issues_closed is 2"),
    "a wrong number of releases": Case("5 releases shipped.", "but releases is 2"),
    "a wrong number of contributors": Case("2 contributors", "but contributors is 3"),
    "a wrong number of newcomers": Case("2 new contributors", "first_time_contributors is 1"),
    # The previous period: its figures, and differences, where a sentence speaks of it.
    "the previous period's figure": Case(
        "The team merged 3 pull requests, against 17 the week before.", ACCEPT
    ),
    "a claim about the previous period": Case(
        "17 pull requests were merged the week before; this week, 3.", ACCEPT
    ),
    "the previous period's figure as this period's": Case(
        "The team merged 17 pull requests.", "but prs_merged is 3"
    ),
    "the previous period's figure, and the previous period in another sentence": Case(
        "The team merged 17 pull requests. The week before was quieter.", "prs_merged is 3"
    ),
    "the previous period in the sentence before": Case(
        "The week before was busier. The team merged 17 pull requests.", "prs_merged is 3"
    ),
    "the previous period at the start of the text": Case(
        "Before this week, 17 pull requests were merged in one week.", ACCEPT
    ),
    "a claim about the previous period after one about this period": Case(
        "The team merged 3 pull requests. 17 pull requests were merged the week before.", ACCEPT
    ),
    "a wrong claim after one about the previous period": Case(
        "17 pull requests were merged the week before. 6 pull requests were merged this week.",
        "'6 pull requests were merged' but prs_merged is 3",
    ),
    "a wrong claim after a difference": Case(
        "This week saw 7 commits fewer than last week, and 5 commits were reverts.",
        "'5 commits' but commits is 4",
    ),
    "another figure of the previous period": Case(
        "The week before, 11 issues were opened.", "but issues_opened is 2"
    ),
    "a difference between periods": Case(
        "There were 4 commits, 7 fewer than the week before.", ACCEPT
    ),
    "a difference stated as a claim": Case("This week saw 7 commits fewer than last week.", ACCEPT),
    "a difference as this period's figure": Case("The team made 7 commits.", "commits is 4"),
    "a difference as the previous period's figure": Case(
        "Last week there were 7 commits.", "but commits is 4"
    ),
    "a difference of something else": Case(
        "The team merged 7 pull requests fewer than last week.", "but prs_merged is 3"
    ),
    "a number of nothing": Case("The team merged 3 pull requests in 19 days.", NOT_A_FIGURE),
    "figures that no list counts": Case(
        "5 pull requests were still open; merging took a median of 12 hours, at most 48.", ACCEPT
    ),
    # Items cut from the fact sheet: the model cannot know them.
    "an item still listed after the cut": Case("#1 PR 1 shipped.", ACCEPT, cut=True),
    "an item cut from the facts": Case(
        "#20 Crash was closed.", "cites items not in the facts: #20", cut=True
    ),
    "a link to an item cut from the facts": Case(
        "Closed: https://github.com/acme/app/issues/20", NOT_GIVEN, cut=True
    ),
    "an item no list has": Case("#4 was closed.", "cites items not in the facts: #4"),
    # Digits in titles are the title's, and nowhere else.
    "a title's number": Case("#2 Fix 404 on login landed.", ACCEPT),
    "a title that reads like a claim": Case("#3 Squash 10 commits into one landed.", ACCEPT),
    "a title's number outside the title": Case("The 404 on login is gone.", NOT_A_FIGURE),
    "a title's number as a figure": Case("The team made 10 commits.", "but commits is 4"),
    "a label's number": Case("#2 is labelled wait 72 hours.", ACCEPT),
    "a commit message's number": Case("A commit did Bump Python to 3.13 today.", ACCEPT),
    "a reviewer's login of digits": Case("1337 reviewed #2.", ACCEPT),
    "a release's tag, and its name that holds it": Case(
        "Out now: 2026.11, announced as 2026.11 brings 40 fixes.", ACCEPT
    ),
    "a release's number outside its name": Case("It brings 40 fixes.", NOT_A_FIGURE),
    # What is left once a quoted title or a link is set aside is judged on its own: digits
    # glued to one are no part of it.
    "digits glued to a title": Case("#3 Squash 10 commits into one19 times.", NOT_A_FIGURE),
    "digits glued to a link": Case(f"Merged 19{ITEM} today.", NOT_A_FIGURE),
}


@pytest.mark.parametrize("name", list(CASES))
def test_grounding(name: str) -> None:
    case = CASES[name]
    problems = check(case.text, fact_sheet(cut=case.cut), METRICS)
    if case.refused_because is None:
        assert problems == []
    else:
        assert any(case.refused_because in problem for problem in problems), problems


def test_the_fact_sheets_are_what_the_cases_say() -> None:
    cut, whole = fact_sheet(cut=True), fact_sheet()
    assert {1, 2, 3, 5} <= cut.item_numbers
    assert 20 not in cut.item_numbers
    assert any(issue.number == 20 for issue in build_items(TITLED).issues_closed)
    assert {2, 3, 20} <= whole.item_numbers
    assert 4 not in whole.item_numbers
    assert {5.0, 12.0, 48.0, 11.0, 17.0, 7.0, 14.0} <= whole.allowed_numbers
    assert {9.0, 10.0, 19.0, 404.0} & whole.allowed_numbers == {9.0}  # 9: open at its end


def test_a_lists_length_is_a_number_the_text_may_state() -> None:
    # With three commits, nothing but the list of pull requests in review counts four.
    activity = week(commits=COMMITS[:3])
    metrics, items = compute_metrics(activity), build_items(activity)
    assert len(items.in_review) == 4
    assert 4 not in metrics.model_dump().values()
    facts = build_facts(repository_of(activity), period_of(activity), metrics, items)
    assert check("4 pull requests are open for review.", facts, metrics) == []


def test_a_title_outside_ascii_reaches_the_model_as_written() -> None:
    activity = week(
        pull_requests=tuple(p.model_copy(update={"title": "Überarbeitung 🚀"}) for p in PULLS)
    )
    facts = build_facts(
        repository_of(activity), period_of(activity), METRICS, build_items(activity)
    )
    assert '"title": "Überarbeitung 🚀"' in facts.text


def test_the_budget_is_exact_and_one_item_left_out_is_said() -> None:
    """An entry that fits exactly is listed; the one after it is not, and the facts say
    so (entries are counted with the comma and space between them)."""
    merged = build_items(week()).merged[:2]
    items = DigestItems(merged=merged)
    whole = build_facts(SOURCE_REPOSITORY, PERIOD, METRICS, items)
    header, listed = whole.text.splitlines()[:2]
    first = len(json.dumps(json.loads(listed)["items"][0], ensure_ascii=False)) + 2
    facts = build_facts(SOURCE_REPOSITORY, PERIOD, METRICS, items, len(header) + first)
    section = json.loads(facts.text.splitlines()[1])
    assert [item["number"] for item in section["items"]] == [merged[0].number]
    assert section["note"] == "1 more not listed"
    assert facts.truncated
    short = build_facts(SOURCE_REPOSITORY, PERIOD, METRICS, items, len(header) + first - 1)
    assert json.loads(short.text.splitlines()[1])["items"] == []
    assert not whole.truncated
