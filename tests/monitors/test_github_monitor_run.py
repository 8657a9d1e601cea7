"""Running a GitHub monitor through the API, against the fake GitHub (GraphQL + REST
replaying real shapes), with a member's connected token."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from tests.conftest import Personas, SignIn
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeWorld, generate_repo
from tests.fakes.http_server import serve_in_thread
from tests.fakes.openai_server import Answer, FakeOpenAI, served_fake_openai

KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
TOKEN = "ghp_" + secrets.token_hex(18)  # made per run; no fixture holds a secret


DESCRIPTION = "Moves the cache behind the queue so that retries stop piling up"


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    world = FakeWorld()
    generated = generate_repo(world, "acme", "app", SINCE, UNTIL, per_kind=20)
    for pull in generated.repo.pulls:
        if pull.merged_at and SINCE <= pull.merged_at < UNTIL:
            pull.body = f"{DESCRIPTION}.\n\nCloses nothing."
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


async def _connect_member(session: AsyncSession, personas: Personas) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKEN,
        scopes="read:user,user:email",
        user_id=personas.member.id,
        github_login="member-of-acme",
    )
    await session.commit()


async def test_a_github_monitor_makes_a_digest_with_a_members_token(
    sign_in: SignIn, personas: Personas, session: AsyncSession, github_api: FakeGitHubAPI
) -> None:
    await _connect_member(session, personas)
    member = await sign_in(personas.member)
    monitor = (await member.post("/api/orgs/acme/monitors", json={"source": "acme/app"})).json()
    assert monitor["credential"]["login"] == personas.member.login

    made = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": "2026-11-16", "until": "2026-11-23"},
    )
    assert made.status_code == 201, made.text
    digest = made.json()
    metrics, items = digest["metrics"], digest["items"]
    assert metrics["prs_merged"] == len(items["merged"]) > 0
    assert metrics["issues_opened"] == len(items["issues_opened"]) > 0
    assert metrics["previous"] is not None
    assert digest["repository"]["name"] == "acme/app"
    assert TOKEN not in made.text
    # Every cited pull request links to the (fake) GitHub it came from.
    assert all(
        p["url"].startswith("https://github.com/acme/app/pull/")
        or p["url"].startswith(github_api.base_url)
        for p in items["merged"]
    )


@pytest.mark.parametrize("opted_in", [False, True])
async def test_pr_descriptions_reach_the_model_only_when_the_monitor_opts_in(
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
    github_api: FakeGitHubAPI,
    model: FakeOpenAI,
    opted_in: bool,
) -> None:
    await _connect_member(session, personas)
    member = await sign_in(personas.member)
    monitor = (
        await member.post(
            "/api/orgs/acme/monitors",
            json={"source": "acme/app", "writer": "llm", "include_pr_descriptions": opted_in},
        )
    ).json()
    model.script = [Answer("Nothing to report.")]
    made = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": "2026-11-16", "until": "2026-11-23"},
    )
    assert made.status_code == 201, made.text
    prompt = model.requests[0]["messages"][1]["content"]
    assert (DESCRIPTION in prompt) is opted_in
    assert any("bodyText" in query for query in github_api.queries) is opted_in
    # Descriptions feed the model only; the stored digest does not keep them.
    assert DESCRIPTION not in made.text


async def test_a_monitor_that_counts_bots_learns_which_bots_are_new(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    await _connect_member(session, personas)
    member = await sign_in(personas.member)
    new_contributors = {}
    for include_bots in (False, True):
        monitor = (
            await member.post(
                "/api/orgs/acme/monitors",
                json={"source": "acme/app", "writer": "builtin", "include_bots": include_bots},
            )
        ).json()
        made = await member.post(
            f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
            json={"since": "2026-11-16", "until": "2026-11-23"},
        )
        names = {c["name"] for c in made.json()["items"]["new_contributors"]}
        new_contributors[include_bots] = names
    assert "dependabot" not in new_contributors[False]
    # Its first pull requests here are this week's: only asking GitHub tells that.
    assert "dependabot" in new_contributors[True]


async def test_a_misspelt_repository_is_refused_when_the_monitor_is_made(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await _connect_member(session, personas)
    member = await sign_in(personas.member)
    refused = await member.post("/api/orgs/acme/monitors", json={"source": "acme/ap"})
    assert refused.status_code == 400
    assert (
        "GitHub has no repository acme/ap that member-of-acme's token can read"
        in (refused.json()["detail"])
    )
    assert (await member.get("/api/orgs/acme/monitors")).json() == []


async def test_a_monitor_keeps_the_name_github_knows_the_repository_by(
    sign_in: SignIn, personas: Personas, session: AsyncSession, github_api: FakeGitHubAPI
) -> None:
    repo = github_api.world.find("acme/app")
    assert repo is not None
    github_api.world.rename(repo, "acme/legacy-app")  # GitHub answers the old name with a 301
    await _connect_member(session, personas)
    member = await sign_in(personas.member)
    made = await member.post("/api/orgs/acme/monitors", json={"source": "ACME/Legacy-App"})
    assert made.status_code == 201, made.text
    assert (made.json()["source"], made.json()["name"]) == ("acme/app", "acme/app")
