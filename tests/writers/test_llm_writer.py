"""The LLM writer against a local OpenAI-compatible server with scripted answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from infrasync.config import Settings, load_settings
from infrasync.digests.compose import compose
from infrasync.digests.document import build_items, period_of, repository_of
from infrasync.digests.metrics import compute_metrics
from infrasync.writers.llm import MAX_DESCRIPTION_CHARS, build_facts, check
from tests.digests.test_metrics import PULLS, SOURCE, week
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
    assert digest.text == GROUNDED.strip()
    [request] = model.requests
    assert request["temperature"] == 0
    assert request["model"] == "test-model"
    assert model.authorizations == ["Bearer sk-test-secret"]


async def test_the_prompt_holds_facts_only(model: FakeOpenAI, llm_settings: Settings) -> None:
    model.script = [Answer(GROUNDED)]
    await compose(week(), None, llm_settings)
    prompt = model.requests[0]["messages"][1]["content"]
    facts = [json.loads(line) for line in prompt.splitlines()[1:]]
    header = facts[0]
    assert header["repository"] == "acme/app"
    assert header["figures"]["prs_merged"] == 3
    merged = next(section for section in facts[1:] if section["list"] == "Pull requests merged")
    assert set(merged["items"][0]) == {
        "number",
        "title",
        "author",
        "labels",
        "url",
        "changed_lines",
    }


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


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (GROUNDED.replace("#20 Crash", "#99 Crash"), "cites items not in the facts: #99"),
        (GROUNDED.replace("merged 3 pull", "merged 5 pull"), "but prs_merged is 3"),
        (GROUNDED.replace("merged 3 pull", "merged 8 pull"), "not computed figures: 8"),
        (GROUNDED.replace("2 issues were opened", "3 issues were opened"), "issues_opened is 2"),
        (GROUNDED + "\nSee https://evil.example/x", "links outside the repository"),
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


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (Fail(500), "InternalServerError"),
        (Fail(401, "Incorrect API key provided: sk-test-secret"), "AuthenticationError"),
        (Stall(2.0), "APITimeoutError"),
    ],
)
async def test_a_failing_model_falls_back_to_builtin(
    model: FakeOpenAI, llm_settings: Settings, step: Fail | Stall, reason: str
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
    assert asked.writer_note is not None
    assert "no model is configured" in asked.writer_note


async def test_builtin_is_used_when_chosen_even_with_a_model(
    model: FakeOpenAI, llm_settings: Settings
) -> None:
    digest = await compose(week(), None, llm_settings, writer="builtin")
    assert digest.writer == "builtin"
    assert model.requests == []


def test_numbers_inside_titles_are_not_claims() -> None:
    activity = week()
    metrics, items = compute_metrics(activity), build_items(activity)
    repository = repository_of(activity)
    facts = build_facts(repository, period_of(activity), metrics, items)
    assert check("#2 PR 2 landed.", facts, repository) == []  # "2" is in the title
    assert check("4 commits by 2 authors.", facts, repository) == []
    assert check("7 commits.", facts, repository) != []
    assert check("5 commits.", facts, repository, metrics) != []  # 5 is a figure, not this one
    assert check("4 commits.", facts, repository, metrics) == []


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
