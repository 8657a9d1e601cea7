"""Proof of sentence-level grounding, end to end: a GitHub monitor (the fake GitHub) run
through the API with the AI writer (the fake OpenAI server, a real HTTP server), each
model answer followed to the stored digest and its grounding report as the API returns
them, and to the row itself.

The answers are made from the facts each request carries, as a model would write them,
so they cite the ids and state the figures of whatever the fake GitHub generated.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import DigestRecord
from tests.conftest import Personas, SignIn
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeWorld, generate_repo
from tests.fakes.http_server import serve_in_thread
from tests.fakes.openai_server import Answer, FakeOpenAI, Reply, served_fake_openai

KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
TOKEN = "ghp_" + secrets.token_hex(18)  # made per run; no fixture holds a secret
CHECKS = ["structure", "citations", "known_items", "numbers", "no_urls"]


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    world = FakeWorld()
    generate_repo(world, "acme", "app", SINCE, UNTIL, per_kind=8)
    fake = FakeGitHubAPI(world=world)
    fake.add_token(TOKEN)
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with served_fake_openai() as fake:
        yield fake


@pytest.fixture
def settings_overrides(github_api: FakeGitHubAPI, model: FakeOpenAI) -> dict[str, object]:
    return {
        "github_api_url": github_api.base_url,
        "encryption_keys": KEY,
        "llm_base_url": f"{model.base_url}/v1",
        "llm_model": "test-model",
    }


# What the model reads, and answers made from it ------------------------------------------


@dataclass(frozen=True)
class Facts:
    figures: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Facts:
        lines = body["messages"][1]["content"].splitlines()[1:]
        header, *sections = (json.loads(line) for line in lines)
        return cls(header["figures"], {s["list"]: s["items"] for s in sections})

    @property
    def merged(self) -> list[dict[str, Any]]:
        return self.lists["Pull requests merged"]

    @property
    def opened_issues(self) -> list[dict[str, Any]]:
        return self.lists["Issues opened"]


def good(facts: Facts) -> dict[str, Any]:
    merged, issues = facts.merged, facts.opened_issues
    prs = facts.figures["prs_merged"]
    return {
        "headline": {
            "text": f"The team merged {prs} pull requests.",
            "cites": ["metric:prs_merged"],
        },
        "sections": [
            {
                "section": "shipped",
                "sentences": [
                    {"text": f"Among them: {merged[0]['title']}.", "cites": [merged[0]["id"]]},
                    {
                        "text": f"{len(merged[1:3])} more came from the same team.",
                        "cites": [pull["id"] for pull in merged[1:3]],
                    },
                ],
            },
            {
                "section": "issues",
                "sentences": [
                    {
                        "text": f"{facts.figures['issues_opened']} issues were opened.",
                        "cites": ["metric:issues_opened", *(i["id"] for i in issues)],
                    }
                ],
            },
        ],
    }


def with_sentence(facts: Facts, sentence: dict[str, Any]) -> dict[str, Any]:
    """The good answer with one more sentence in its shipped section."""
    answer = good(facts)
    answer["sections"][0]["sentences"].append(sentence)
    return answer


def no_citation(facts: Facts) -> dict[str, Any]:
    return with_sentence(facts, {"text": "Reviews were quick this week.", "cites": []})


def unknown_item(facts: Facts) -> dict[str, Any]:
    # Beside a real one: the sentence cites an item, but also one the facts never gave.
    real = facts.merged[0]["id"]
    return with_sentence(facts, {"text": "A fix for logins landed.", "cites": [real, "pr:99999"]})


def wrong_number(facts: Facts) -> dict[str, Any]:
    answer = good(facts)
    prs = facts.figures["prs_merged"]
    answer["headline"]["text"] = f"The team merged {prs + 1} pull requests."
    return answer


def url_in_text(facts: Facts) -> dict[str, Any]:
    pull = facts.merged[0]
    sentence = {
        "text": f"Details at https://github.com/acme/app/pull/{pull['number']}.",
        "cites": [pull["id"]],
    }
    return with_sentence(facts, sentence)


def as_json(make: Callable[[Facts], dict[str, Any]]) -> Reply:
    return Reply(lambda body: json.dumps(make(Facts.of(body))))


def as_plain_text(facts: Facts) -> str:
    """The good answer as a model without structured output writes it: Markdown lines
    ending in their ids, with chatter around."""
    answer = good(facts)
    lines = [f"{answer['headline']['text']} [{', '.join(answer['headline']['cites'])}]", ""]
    for section in answer["sections"]:
        lines += [f"## {section['section'].replace('_', ' ').title()}", ""]
        lines += [f"- {s['text']} [{', '.join(s['cites'])}]" for s in section["sentences"]]
    return "\n".join(lines)


# Running the monitor ---------------------------------------------------------------------


async def _digest(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> tuple[dict[str, Any], dict[str, Any], DigestRecord]:
    """Runs an AI-writer monitor over the week; answers with the digest as the run made
    it, as `GET /digests/{id}` reads it back, and its stored row."""
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKEN,
        scopes="read:user,user:email",
        user_id=personas.member.id,
        github_login="member-of-acme",
    )
    await session.commit()
    member = await sign_in(personas.member)
    monitor = (
        await member.post("/api/orgs/acme/monitors", json={"source": "acme/app", "writer": "llm"})
    ).json()
    made = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": SINCE.date().isoformat(), "until": UNTIL.date().isoformat()},
    )
    assert made.status_code == 201, made.text
    read = await member.get(f"/api/orgs/acme/digests/{made.json()['id']}")
    assert read.status_code == 200, read.text
    session.expire_all()
    row = await session.get(DigestRecord, uuid.UUID(made.json()["id"]))
    assert row is not None
    return made.json(), read.json(), row


def checks_of(report: dict[str, Any]) -> dict[str, bool]:
    return {outcome["check"]: outcome["passed"] for outcome in report["checks"]}


def assert_same_everywhere(made: dict[str, Any], read: dict[str, Any], row: DigestRecord) -> None:
    assert read["grounding"] == made["grounding"] == row.grounding
    assert read["writer"] == made["writer"] == row.writer
    assert read["writer_note"] == made["writer_note"] == row.writer_note
    assert read["text"] == row.text


async def test_a_good_structured_answer_is_the_digest_with_its_sources(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    model.script = [as_json(good)]
    made, read, row = await _digest(sign_in, personas, session)
    assert_same_everywhere(made, read, row)
    assert (row.writer, row.writer_note) == ("llm", None)
    report = read["grounding"]
    assert report["used"] is True
    assert (report["attempts"], report["answer_format"]) == (1, "json_schema")
    assert checks_of(report) == dict.fromkeys(CHECKS, True)
    assert report["sentence_count"] == 4 == len(report["sentences"])
    merged = read["items"]["merged"]
    assert report["cited_items"][:4] == [
        "metric:prs_merged",
        *(f"pr:{pull['number']}" for pull in merged[:3]),
    ]
    # Every cited pull request is linked in the text, from its id: the model wrote no URL.
    for pull in merged[:3]:
        assert f"[#{pull['number']}]({pull['url']})" in read["text"]
    assert "response_format" in model.requests[0]
    assert read["rendered"]["html"].count("<a href=") >= 3


@pytest.mark.parametrize(
    ("make", "failed", "problem"),
    [
        (no_citation, "citations", "'Reviews were quick this week.' cites no item"),
        (unknown_item, "known_items", "cites what the facts do not give: pr:99999"),
        (wrong_number, "numbers", "no figure it cites, nor a count of the items it cites"),
        (url_in_text, "no_urls", "writes an address: https://github.com/acme/app/pull/"),
    ],
    ids=["a sentence without a citation", "an item that does not exist", "a wrong number", "a URL"],
)
async def test_an_answer_failing_a_check_twice_leaves_the_digest_to_the_builtin_writer(
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
    model: FakeOpenAI,
    make: Callable[[Facts], dict[str, Any]],
    failed: str,
    problem: str,
) -> None:
    model.script = [as_json(make), as_json(make)]
    made, read, row = await _digest(sign_in, personas, session)
    assert_same_everywhere(made, read, row)
    assert row.writer == "builtin"
    assert row.text.startswith("# acme/app")
    assert row.writer_note is not None
    assert row.writer_note.startswith(
        "The LLM writer did not write this digest: the model's text failed its checks, and "
        f"again on the retry: {failed}: "
    )
    assert problem in row.writer_note
    report = read["grounding"]
    assert report["used"] is False
    assert report["attempts"] == 2
    assert checks_of(report) == {check: check != failed for check in CHECKS}
    assert report["first_answer_failed"] == [failed]
    # The retry told the model what was wrong, in the same conversation.
    retry = model.requests[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == json.dumps(make(Facts.of(model.requests[0])))
    assert retry[3]["content"].startswith(f"Your answer failed these checks: {failed}: ")
    assert problem in retry[3]["content"]


async def test_a_good_answer_on_the_retry_is_the_digest(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    model.script = [as_json(wrong_number), as_json(good)]
    made, read, row = await _digest(sign_in, personas, session)
    assert_same_everywhere(made, read, row)
    assert (row.writer, row.writer_note) == ("llm", None)
    report = read["grounding"]
    assert (report["used"], report["attempts"]) == (True, 2)
    assert report["first_answer_failed"] == ["numbers"]
    assert checks_of(report) == dict.fromkeys(CHECKS, True)
    prs = read["metrics"]["prs_merged"]
    assert f"The team merged {prs} pull requests." in row.text
    assert f"The team merged {prs + 1} pull requests." not in row.text


async def test_plain_text_from_a_server_without_response_format_is_read_and_checked(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    model.response_format = False  # answers 400 to a request that asks for a schema
    model.script = [Reply(lambda body: as_plain_text(Facts.of(body)))]
    made, read, row = await _digest(sign_in, personas, session)
    assert_same_everywhere(made, read, row)
    assert (row.writer, row.writer_note) == ("llm", None)
    # Asked once with the schema (refused), then the same without it; never again with it.
    assert model.refused == 1
    assert ["response_format" in r for r in model.requests] == [True, False]
    report = read["grounding"]
    assert (report["used"], report["attempts"], report["answer_format"]) == (True, 1, "text")
    assert checks_of(report) == dict.fromkeys(CHECKS, True)
    assert report["sentence_count"] == 4
    assert report["sentences"][0]["section"] == "headline"
    pull = read["items"]["merged"][0]
    assert f"[#{pull['number']}]({pull['url']})" in row.text


async def test_plain_text_without_ids_fails_its_citations_and_the_builtin_writer_takes_over(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    model.response_format = False
    prose = "Here is your digest!\n\nLots of good work was merged this week."
    model.script = [Answer(prose), Answer(prose)]
    made, read, row = await _digest(sign_in, personas, session)
    assert_same_everywhere(made, read, row)
    assert row.writer == "builtin"
    assert row.writer_note is not None
    assert "the retry: structure: the answer has 2 headlines; one is asked" in row.writer_note
    report = read["grounding"]
    assert report["answer_format"] == "text"
    assert checks_of(report) == {"structure": False}
    # The retry went without the schema too: the server had refused it once.
    assert model.refused == 1
    assert ["response_format" in r for r in model.requests] == [True, False, False]
