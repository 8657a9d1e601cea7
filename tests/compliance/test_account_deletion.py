"""DELETE /api/me (SPEC §4, §5): every session and every key the person made dies on the
very next request, their GitHub token is forgotten and withdrawn, their queued runs stop,
orgs where they are alone go with them, and the last owner of an org with other members
is refused with a 409 naming it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.cookies import SESSION_COOKIE
from infrasync.compliance import service as compliance
from infrasync.errors import Conflict
from infrasync.github.credentials import store_github_token
from infrasync.kit.client_info import NO_CLIENT
from infrasync.kit.crypto import SecretBox
from infrasync.models import (
    AuditEvent,
    AuthSession,
    GitHubCredential,
    GitHubTokenOffer,
    Invite,
    Membership,
    Org,
    Role,
    User,
)
from tests.compliance import world
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_org, make_user

KEY = Fernet.generate_key().decode()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"encryption_keys": KEY}


async def _key(http: httpx.AsyncClient, org: str = "acme") -> str:
    made = await http.post(f"/api/orgs/{org}/api-keys", json={"name": "CI", "role": "admin"})
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


async def test_deleting_your_account_ends_its_sessions_and_keys_at_once(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    other_browser = await sign_in(personas.admin)
    key = await _key(admin)
    owner = await sign_in(personas.owner)
    owners_key = await _key(owner)
    await world.invite(session, personas.org, personas.admin)
    await session.commit()

    deleted = await admin.delete("/api/me")

    assert deleted.status_code == 204
    assert f'{SESSION_COOKIE}=""' in deleted.headers["set-cookie"]  # cleared
    # The very next request of every session and key of theirs fails; nobody else's.
    assert (await admin.get("/api/orgs")).status_code == 401
    assert (await other_browser.get("/api/orgs/acme")).status_code == 401
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme/monitors")).status_code == 401
    async with client_with(app, headers={"Authorization": f"Bearer {owners_key}"}) as robot:
        assert (await robot.get("/api/orgs/acme/monitors")).status_code == 200
    members = [m["login"] for m in (await owner.get("/api/orgs/acme/members")).json()]
    assert personas.admin.login not in members
    invites = (await owner.get("/api/orgs/acme/invites")).json()
    assert [i["status"] for i in invites] == ["revoked"]
    live = await session.scalar(
        select(func.count())
        .select_from(AuthSession)
        .where(AuthSession.user_id == personas.admin.id, AuthSession.revoked_at.is_(None))
    )
    assert live == 0
    (audited,) = (
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "user.delete"))
    ).all()
    assert audited.actor_user_id == personas.admin.id
    # The org's own log says why the admin went, and what of theirs died with it.
    logged = (await owner.get("/api/orgs/acme/audit")).json()["items"]
    reasons = {(e["action"], e["details"].get("reason")) for e in logged}
    assert ("member.account_deleted", None) in reasons
    assert ("api_key.revoke", "creator_account_deleted") in reasons
    assert ("invite.revoke", "inviter_account_deleted") in reasons


async def test_deleting_your_account_forgets_your_github_token_and_stops_your_runs(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token="ghp_" + "a" * 36,
        scopes="read:user",
        user_id=personas.member.id,
        github_login=personas.member.login,
    )
    session.add(GitHubTokenOffer(org_id=personas.org.id, user_id=personas.member.id))
    monitor = await world.monitor(session, personas.org, personas.member)
    theirs = await world.queued_run(session, personas.org, monitor, personas.member)
    scheduled = await world.queued_run(session, personas.org, monitor, None)
    await session.commit()
    member = await sign_in(personas.member)

    assert (await member.delete("/api/me")).status_code == 204

    assert await session.scalar(select(func.count()).select_from(GitHubCredential)) == 0
    assert await session.scalar(select(func.count()).select_from(GitHubTokenOffer)) == 0
    await session.refresh(theirs)
    await session.refresh(scheduled)
    assert theirs.state == "failed"
    assert "deleted their account" in (theirs.error or "")
    assert scheduled.state == "queued"  # the schedule's own run is the org's, not theirs


async def test_the_last_owner_of_an_org_with_members_must_hand_it_over_first(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    owner = await sign_in(personas.owner)

    refused = await owner.delete("/api/me")

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "You are the last owner of Acme, which has 3 other members: make another member "
        "an owner or delete the org first."
    )
    assert (await owner.get("/api/me")).json()["deleted_at"] is None  # nothing happened
    # With a second owner, it goes; the org stays with the others.
    promoted = await owner.patch(
        f"/api/orgs/acme/members/{personas.admin.id}", json={"role": "owner"}
    )
    assert promoted.status_code == 200, promoted.text
    assert (await owner.delete("/api/me")).status_code == 204
    admin = await sign_in(personas.admin)
    assert (await admin.get("/api/orgs/acme")).status_code == 200


async def test_orgs_where_you_are_alone_are_deleted_with_you(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    solo = await make_org(session, "Solo")
    await add_member(session, solo, personas.member, Role.OWNER)
    # A deleted account does not count as another member.
    ghost = await make_user(session, "ghost")
    await add_member(session, solo, ghost, Role.VIEWER)
    ghost.deleted_at = solo.created_at
    await session.commit()
    member = await sign_in(personas.member)

    assert (await member.delete("/api/me")).status_code == 204

    await session.refresh(solo)
    await session.refresh(personas.org)
    assert solo.deleted_at is not None
    assert personas.org.deleted_at is None
    await session.refresh(personas.member)
    assert personas.member.deleted_at == solo.deleted_at


async def test_only_a_person_in_their_browser_deletes_their_account(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.delete("/api/me")).status_code == 401
        assert (await robot.get("/api/me/export")).status_code == 401
    forged = await admin.delete("/api/me", headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    async with client_with(app) as nobody:
        assert (await nobody.delete("/api/me")).status_code == 401
    assert (await admin.get("/api/me")).json()["deleted_at"] is None
    assert await session.scalar(select(func.count()).select_from(Org)) == 2
    assert (
        await session.scalar(select(func.count()).select_from(Invite)) == 0
    )  # nothing was touched


async def test_two_owners_deleting_their_accounts_at_once_leave_one_of_them(
    personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    """Each sees the other as the remaining owner unless the org is locked first: the
    second waits for the first to commit, then is the last owner and gets the 409."""
    promoted = await session.scalar(
        select(Membership).where(
            Membership.org_id == personas.org.id, Membership.user_id == personas.admin.id
        )
    )
    assert promoted is not None
    promoted.role = Role.OWNER
    await session.commit()
    factory = app.state.session_factory
    first = factory()
    owner = await first.get(User, personas.owner.id)
    assert owner is not None
    await compliance.delete_user(first, owner, NO_CLIENT)  # holds the lock

    async def second_owner_deletes() -> None:
        async with factory() as second:
            admin = await second.get(User, personas.admin.id)
            assert admin is not None
            await compliance.delete_user(second, admin, NO_CLIENT)
            await second.commit()

    racing = asyncio.create_task(second_owner_deletes())
    # Give the second every chance to get ahead (without the lock it finishes its reads
    # and waits only to write); it is not timed, only given the chance.
    for _ in range(40):
        if racing.done():
            break
        await asyncio.sleep(0.05)
    await first.commit()
    await first.close()

    with pytest.raises(Conflict, match="last owner of Acme"):
        await racing
    org_id = personas.org.id
    session.expire_all()
    owners = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == Role.OWNER, User.deleted_at.is_(None))
        .where(Membership.org_id == org_id)
    )
    assert owners == 1
