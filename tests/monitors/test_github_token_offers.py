"""GitHub tokens are offered to an org, never borrowed (SPEC §5): a monitor reads with
the caller's own token or one a current member offered; every run checks the owner is
still in the org; leaving, removal and withdrawal detach the token; all of it audited."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import AuditEvent, Membership, Monitor, User
from tests.conftest import Personas, SignIn, client_with
from tests.fakes.github_api import FakeGitHubAPI, served_fake_repo

KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
RUN = {"since": "2026-11-16", "until": "2026-11-23"}
# Made per run; no fixture holds a secret.
TOKENS = {role: "ghp_" + secrets.token_hex(18) for role in ("admin", "member", "viewer")}


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    with served_fake_repo(TOKENS.values(), SINCE, UNTIL, per_kind=5) as fake:
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


async def _monitor(http: httpx.AsyncClient, **fields: object) -> httpx.Response:
    return await http.post("/api/orgs/acme/monitors", json={"source": "acme/app", **fields})


async def _actions(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(AuditEvent.action))).all())


async def _credential_of(session: AsyncSession, monitor_id: str) -> uuid.UUID | None:
    session.expire_all()
    found = await session.scalar(
        select(Monitor.credential_id).where(Monitor.id == uuid.UUID(monitor_id))
    )
    return found


async def test_nobody_can_name_a_token_its_owner_has_not_offered(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """The review's case: a member named a viewer's token as the monitor's."""
    await _connect(session, personas.viewer, "viewer")
    member = await sign_in(personas.member)
    borrowed = await _monitor(member, credential_user_id=str(personas.viewer.id))
    assert borrowed.status_code == 400
    assert "has not offered" in borrowed.json()["detail"]
    outsider = await _monitor(member, credential_user_id=str(personas.outsider.id))
    assert outsider.status_code == 400
    assert outsider.json()["detail"] == borrowed.json()["detail"]  # nothing tells them apart

    viewer = await sign_in(personas.viewer)
    listed = (await member.get("/api/orgs/acme/github-tokens")).json()
    assert listed == []
    offered = await viewer.put("/api/orgs/acme/github-tokens/mine")
    assert offered.status_code == 200
    assert [(t["login"], t["offered"], t["mine"]) for t in offered.json()] == [
        (personas.viewer.login, True, True)
    ]
    assert "github_token.offer" in await _actions(session)
    listed = (await member.get("/api/orgs/acme/github-tokens")).json()
    assert [(t["login"], t["offered"], t["mine"]) for t in listed] == [
        (personas.viewer.login, True, False)
    ]
    assert TOKENS["viewer"] not in str(listed)
    made = await _monitor(member, credential_user_id=str(personas.viewer.id))
    assert made.status_code == 201, made.text
    assert made.json()["credential"]["login"] == personas.viewer.login


async def test_your_own_token_is_always_usable_and_using_it_offers_it(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await _connect(session, personas.member, "member")
    member = await sign_in(personas.member)
    mine = (await member.get("/api/orgs/acme/github-tokens")).json()
    assert [(t["offered"], t["mine"]) for t in mine] == [(False, True)]
    made = await _monitor(member)
    assert made.status_code == 201, made.text
    assert made.json()["credential"]["login"] == personas.member.login
    assert "github_token.offer" in await _actions(session)
    viewer = await sign_in(personas.viewer)
    seen = (await viewer.get("/api/orgs/acme/github-tokens")).json()
    assert [(t["login"], t["offered"]) for t in seen] == [(personas.member.login, True)]


async def test_an_api_key_cannot_offer_or_borrow(
    sign_in: SignIn, personas: Personas, session: AsyncSession, app: FastAPI
) -> None:
    """A key acts for its creator, but offering is a person's own consent."""
    await _connect(session, personas.admin, "admin")
    admin = await sign_in(personas.admin)
    body = {"name": "ci", "role": "admin"}
    key = (await admin.post("/api/orgs/acme/api-keys", json=body)).json()["key"]
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        offer = await robot.put("/api/orgs/acme/github-tokens/mine")
        assert offer.status_code == 400
        assert "API key" in offer.json()["detail"]
        borrowed = await robot.post(
            "/api/orgs/acme/monitors",
            json={"source": "acme/app", "credential_user_id": str(personas.admin.id)},
        )
        assert borrowed.status_code == 400
    assert "github_token.offer" not in await _actions(session)


@pytest.mark.parametrize("how", ["leave", "remove", "withdraw"])
async def test_leaving_removal_and_withdrawal_detach_the_token(
    sign_in: SignIn, personas: Personas, session: AsyncSession, how: str
) -> None:
    await _connect(session, personas.admin, "admin")
    admin = await sign_in(personas.admin)
    monitor = (await _monitor(admin)).json()
    assert monitor["credential"]["login"] == personas.admin.login
    owner = await sign_in(personas.owner)
    if how == "leave":
        assert (await admin.post("/api/orgs/acme/leave")).status_code == 204
    elif how == "remove":
        removed = await owner.delete(f"/api/orgs/acme/members/{personas.admin.id}")
        assert removed.status_code == 204
    else:
        assert (await admin.delete("/api/orgs/acme/github-tokens/mine")).status_code == 204
    shown = (await owner.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["credential"] is None
    assert await _credential_of(session, str(monitor["id"])) is None
    actions = await _actions(session)
    assert "github_token.detach" in actions
    assert "github_token.withdraw" in actions
    assert (await owner.get("/api/orgs/acme/github-tokens")).json() == []
    refused = await owner.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json=RUN
    )
    assert refused.status_code == 409


async def test_every_run_checks_the_token_owner_is_still_in_the_org(
    sign_in: SignIn, personas: Personas, session: AsyncSession, github_api: FakeGitHubAPI
) -> None:
    """Even when the membership ended by a path that detached nothing (a race with the
    removal, a row deleted by hand), the run refuses and the monitor lets go."""
    await _connect(session, personas.admin, "admin")
    admin = await sign_in(personas.admin)
    monitor = (await _monitor(admin)).json()
    owner = await sign_in(personas.owner)
    first = await owner.post(f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json=RUN)
    assert first.status_code == 201, first.text
    await session.execute(delete(Membership).where(Membership.user_id == personas.admin.id))
    await session.commit()
    asked_before = github_api.count()
    again = {"since": "2026-11-09", "until": "2026-11-16"}
    refused = await owner.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true", json=again
    )
    assert refused.status_code == 409
    assert "no longer in the org" in refused.json()["detail"]
    assert github_api.count() == asked_before  # GitHub never saw the token again
    shown = (await owner.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    assert shown["credential"] is None
    assert "no longer in the org" in shown["last_run_error"]
    assert "github_token.detach" in await _actions(session)
