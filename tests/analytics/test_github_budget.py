"""GET /api/orgs/{org}/analytics/github-budget: the tokens an org's monitors read GitHub
with, by their last four characters, and what GitHub last said of each one's budget."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import Monitor
from tests.analytics.world import add_monitor
from tests.conftest import Personas, SignIn
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeWorld, generate_repo
from tests.fakes.http_server import serve_in_thread

URL = "/api/orgs/acme/analytics/github-budget"
KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
TOKEN = "ghp_" + secrets.token_hex(18)  # made per run; no fixture holds a secret


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    world = FakeWorld()
    generate_repo(world, "acme", "app", SINCE, UNTIL, per_kind=3)
    fake = FakeGitHubAPI(world=world)
    fake.add_token(TOKEN)
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
def settings_overrides(github_api: FakeGitHubAPI) -> dict[str, object]:
    return {"github_api_url": github_api.base_url, "encryption_keys": KEY}


async def test_an_org_without_github_monitors_has_no_tokens(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    # A local git repository reads no GitHub: it is in no token's count.
    session.add(
        Monitor(org_id=personas.org.id, name="Local", source="/srv/app.git", source_kind="git")
    )
    await session.commit()
    viewer = await sign_in(personas.viewer)

    response = await viewer.get(URL)

    assert response.status_code == 200, response.text
    assert response.json() == {"tokens": [], "monitors_without_token": 0}


async def test_a_run_shows_its_tokens_budget_to_the_org_only(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKEN,
        scopes="read:user",
        user_id=personas.member.id,
        github_login="member-of-acme",
    )
    # A GitHub monitor without a token, and another org's: one counted, one unseen.
    await add_monitor(session, personas.org, "Tokenless")
    await add_monitor(session, personas.other_org, "Theirs")
    await session.commit()
    member = await sign_in(personas.member)
    monitor = (await member.post("/api/orgs/acme/monitors", json={"source": "acme/app"})).json()
    made = await member.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": "2026-11-16", "until": "2026-11-23"},
    )
    assert made.status_code == 201, made.text
    viewer = await sign_in(personas.viewer)

    response = await viewer.get(URL)

    assert response.status_code == 200, response.text
    assert TOKEN not in response.text
    body = response.json()
    assert body["monitors_without_token"] == 1
    [token] = body["tokens"]
    assert token["token_hint"] == "…" + TOKEN[-4:]
    assert (token["owner"], token["github_login"], token["monitors"]) == (
        "member",
        "member-of-acme",
        1,
    )
    assert token["rejected"] is False
    graphql = next(r for r in token["resources"] if r["resource"] == "graphql")
    # The run spent points: GitHub's (fake's) own figures, as its last answer said them.
    assert graphql["limit"] is not None
    assert graphql["used"] > 0
    assert graphql["remaining"] == graphql["limit"] - graphql["used"]
    assert graphql["resets_at"] is not None

    # Globex sees none of Acme's tokens.
    outsider = await sign_in(personas.outsider)
    assert (await outsider.get(URL)).status_code == 404
    theirs = await outsider.get("/api/orgs/globex/analytics/github-budget")
    assert theirs.json() == {"tokens": [], "monitors_without_token": 1}
