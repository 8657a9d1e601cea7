"""A member's GitHub token serves one org only while all of it holds for that org: that
member's own token, offered to this org (not another), its owner a member of this org
(not merely of another) with an account that is not deleted (SPEC §5)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import Membership, Role, User
from tests.conftest import Personas, SignIn
from tests.factories import add_member
from tests.fakes.github_api import FakeGitHubAPI, served_fake_repo

KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
RUN = {"since": "2026-11-16", "until": "2026-11-23"}
# Made per run; no fixture holds a secret.
TOKENS = {role: "ghp_" + secrets.token_hex(18) for role in ("admin", "viewer")}
NOT_OFFERED = "has not offered a GitHub token to this org"


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    with served_fake_repo(TOKENS.values(), SINCE, UNTIL, per_kind=3) as fake:
        yield fake


@pytest.fixture
def settings_overrides(github_api: FakeGitHubAPI) -> dict[str, object]:
    return {"github_api_url": github_api.base_url, "encryption_keys": KEY}


async def _connect(session: AsyncSession, user: User, role: str) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKENS[role],
        scopes="read:user",
        user_id=user.id,
        github_login=user.login,
    )
    await session.commit()


async def _offer(http: httpx.AsyncClient, slug: str) -> None:
    assert (await http.put(f"/api/orgs/{slug}/github-tokens/mine")).status_code == 200


async def _monitor_with_token_of(http: httpx.AsyncClient, user: User) -> httpx.Response:
    return await http.post(
        "/api/orgs/acme/monitors",
        json={"source": "acme/app", "credential_user_id": str(user.id)},
    )


def _refused_as_not_offered(response: httpx.Response) -> bool:
    return response.status_code == 400 and NOT_OFFERED in response.json()["detail"]


async def test_naming_a_member_gets_that_members_token_never_another_offered_one(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await _connect(session, personas.viewer, "viewer")
    await _connect(session, personas.admin, "admin")
    await _offer(await sign_in(personas.admin), "acme")
    member = await sign_in(personas.member)
    assert _refused_as_not_offered(await _monitor_with_token_of(member, personas.viewer))
    made = await _monitor_with_token_of(member, personas.admin)
    assert made.status_code == 201, made.text
    assert made.json()["credential"]["login"] == personas.admin.login


async def test_a_token_offered_to_another_org_does_not_serve_this_one(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await add_member(session, personas.other_org, personas.admin, Role.MEMBER)
    await _connect(session, personas.admin, "admin")
    admin, owner = await sign_in(personas.admin), await sign_in(personas.owner)
    await _offer(admin, "globex")
    assert _refused_as_not_offered(await _monitor_with_token_of(owner, personas.admin))
    assert (await owner.get("/api/orgs/acme/github-tokens")).json() == []
    await _offer(admin, "acme")
    assert (await _monitor_with_token_of(owner, personas.admin)).status_code == 201


async def test_an_offer_lapses_with_the_membership_here_even_if_a_member_elsewhere(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """The membership ends by a path that withdrew nothing (a race with the removal, a
    row deleted by hand): the offer stays on file, and must serve no more."""
    await add_member(session, personas.other_org, personas.admin, Role.MEMBER)
    await _connect(session, personas.admin, "admin")
    await _offer(await sign_in(personas.admin), "acme")
    owner = await sign_in(personas.owner)
    monitor = await _monitor_with_token_of(owner, personas.admin)
    assert monitor.status_code == 201, monitor.text
    await session.execute(
        delete(Membership).where(
            Membership.user_id == personas.admin.id, Membership.org_id == personas.org.id
        )
    )
    await session.commit()
    assert _refused_as_not_offered(await _monitor_with_token_of(owner, personas.admin))
    assert (await owner.get("/api/orgs/acme/github-tokens")).json() == []
    run = await owner.post(
        f"/api/orgs/acme/monitors/{monitor.json()['id']}/digests?wait=true", json=RUN
    )
    assert run.status_code == 409
    assert "no longer in the org" in run.json()["detail"]


async def test_a_deleted_accounts_token_serves_no_org(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """A deleted account keeps its memberships and offers on file (it may be restored)."""
    await _connect(session, personas.admin, "admin")
    await _offer(await sign_in(personas.admin), "acme")
    owner = await sign_in(personas.owner)
    monitor = await _monitor_with_token_of(owner, personas.admin)
    assert monitor.status_code == 201, monitor.text
    await session.execute(
        update(User).where(User.id == personas.admin.id).values(deleted_at=utcnow())
    )
    await session.commit()
    assert _refused_as_not_offered(await _monitor_with_token_of(owner, personas.admin))
    assert (await owner.get("/api/orgs/acme/github-tokens")).json() == []
    run = await owner.post(
        f"/api/orgs/acme/monitors/{monitor.json()['id']}/digests?wait=true", json=RUN
    )
    assert run.status_code == 409
