"""Disconnecting GitHub (`DELETE /api/me/github`): the token is withdrawn from every org,
every monitor reading with it lets go of it, each step is audited in its org, and the
token itself is deleted; other members' tokens are untouched."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import AuditEvent, GitHubCredential, GitHubTokenOffer, Monitor, Role, User
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_org
from tests.fakes.github_api import FakeGitHubAPI, served_fake_repo

KEY = Fernet.generate_key().decode()
# Made per run; no fixture holds a secret.
TOKENS = {who: "ghp_" + secrets.token_hex(18) for who in ("admin", "owner")}


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    since, until = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    with served_fake_repo(TOKENS.values(), since, until, per_kind=2) as fake:
        yield fake


@pytest.fixture
def settings_overrides(github_api: FakeGitHubAPI) -> dict[str, object]:
    return {"github_api_url": github_api.base_url, "encryption_keys": KEY}


async def _connect(session: AsyncSession, user: User, who: str) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKENS[who],
        scopes="read:user",
        user_id=user.id,
        github_login=user.login,
    )
    await session.commit()


async def _monitor(http: httpx.AsyncClient, org: str) -> str:
    made = await http.post(f"/api/orgs/{org}/monitors", json={"source": "acme/app"})
    assert made.status_code == 201, made.text
    assert made.json()["credential"] is not None
    return str(made.json()["id"])


async def _credential_of(session: AsyncSession, monitor_id: str) -> uuid.UUID | None:
    session.expire_all()
    return await session.scalar(
        select(Monitor.credential_id).where(Monitor.id == uuid.UUID(monitor_id))
    )


async def test_disconnecting_takes_the_token_out_of_every_org_and_forgets_it(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin_user = personas.admin
    # Read before any expire_all(): the rows are not reloaded outside a request.
    admin_id, admin_login = admin_user.id, admin_user.login
    owner_id, owner_login = personas.owner.id, personas.owner.login
    acme, globex = personas.org.id, personas.other_org.id
    await add_member(session, personas.other_org, admin_user, Role.MEMBER)
    # Deleted orgs: one the admin owns (and may restore), one they are a plain member of
    # (and cannot see). Their offers must go there too, or a restore brings them back.
    initech = await make_org(session, "Initech")
    await add_member(session, initech, admin_user, Role.OWNER)
    umbrella = await make_org(session, "Umbrella")
    await add_member(session, umbrella, admin_user, Role.MEMBER)
    await _connect(session, admin_user, "admin")
    await _connect(session, personas.owner, "owner")
    admin = await sign_in(admin_user)
    owner = await sign_in(personas.owner)
    in_acme = await _monitor(admin, "acme")  # reading with a token offers it
    in_globex = await _monitor(admin, "globex")
    in_deleted = [await _monitor(admin, "initech"), await _monitor(admin, "umbrella")]
    owners_monitor = await _monitor(owner, "acme")
    initech_id, umbrella_id = initech.id, umbrella.id
    initech.deleted_at = umbrella.deleted_at = utcnow()
    await session.commit()

    gone = await admin.delete("/api/me/github")
    assert gone.status_code == 204, gone.text
    assert gone.content == b""

    assert (await admin.get("/api/me")).json()["github"] is None
    for org, monitor in (("acme", in_acme), ("globex", in_globex)):
        shown = (await admin.get(f"/api/orgs/{org}/monitors/{monitor}")).json()
        assert shown["credential"] is None, org
    for monitor in in_deleted:
        assert await _credential_of(session, monitor) is None
    # Another member's token is theirs: still offered, still read with.
    kept = (await owner.get(f"/api/orgs/acme/monitors/{owners_monitor}")).json()
    assert kept["credential"]["login"] == owner_login
    listed = (await admin.get("/api/orgs/acme/github-tokens")).json()
    assert [t["login"] for t in listed] == [owner_login]
    assert (await admin.get("/api/orgs/globex/github-tokens")).json() == []

    session.expire_all()
    assert (
        await session.scalar(select(GitHubCredential).where(GitHubCredential.user_id == admin_id))
        is None
    )
    assert (
        await session.scalar(select(GitHubCredential).where(GitHubCredential.user_id == owner_id))
        is not None
    )
    offers = await session.scalars(
        select(GitHubTokenOffer).where(GitHubTokenOffer.user_id == admin_id)
    )
    assert offers.all() == []

    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.actor_user_id == admin_id))
    ).all()
    released = {
        (e.org_id, e.action)
        for e in events
        if e.action.startswith("github_token.") and e.details.get("reason") == "disconnected"
    }
    assert released == {
        (acme, "github_token.withdraw"),
        (acme, "github_token.detach"),
        (globex, "github_token.withdraw"),
        (globex, "github_token.detach"),
        (initech_id, "github_token.withdraw"),
        (initech_id, "github_token.detach"),
        (umbrella_id, "github_token.withdraw"),
    }
    (disconnect,) = [e for e in events if e.action == "github.disconnect"]
    assert disconnect.org_id is None
    assert disconnect.details == {"github_login": admin_login}
    mine = (await admin.get("/api/me/audit")).json()["items"]
    assert mine[0]["action"] == "github.disconnect"

    # Disconnecting again: nothing left to forget, and nothing more to audit.
    again = await admin.delete("/api/me/github")
    assert again.status_code == 204
    session.expire_all()
    count = await session.scalars(
        select(AuditEvent.id).where(AuditEvent.action == "github.disconnect")
    )
    assert len(count.all()) == 1


async def test_disconnecting_is_a_cookie_write_of_a_signed_in_person(
    sign_in: SignIn, personas: Personas, session: AsyncSession, app: FastAPI
) -> None:
    await _connect(session, personas.admin, "admin")
    admin = await sign_in(personas.admin)
    forged = await admin.delete("/api/me/github", headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert "X-CSRF-Token" in forged.json()["detail"]
    async with client_with(app) as stranger:
        assert (await stranger.delete("/api/me/github")).status_code == 401
    body = {"name": "ci", "role": "admin"}
    key = (await admin.post("/api/orgs/acme/api-keys", json=body)).json()["key"]
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        refused = await robot.delete("/api/me/github")
        assert refused.status_code == 401
        assert "sign in" in refused.json()["detail"]
    assert (await admin.get("/api/me")).json()["github"]["login"] == personas.admin.login
