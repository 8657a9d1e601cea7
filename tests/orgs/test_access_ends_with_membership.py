"""SPEC §5: a key or invite never carries more than its creator's current role, and dies
with the creator's membership: revoked (and audited) when they leave or are removed, and
refused at authentication and acceptance even when no revocation ran (a race, a row
deleted by hand)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import ApiKey, AuditEvent, Invite, Membership, Role, User
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_org, make_user


async def _key(client: httpx.AsyncClient, role: str = "admin", slug: str = "acme") -> str:
    created = await client.post(f"/api/orgs/{slug}/api-keys", json={"name": "ci", "role": role})
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


async def _invite(client: httpx.AsyncClient, role: str = "admin") -> str:
    created = await client.post("/api/orgs/acme/invites", json={"role": role})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


async def _actions(session: AsyncSession) -> list[tuple[str, dict[str, object]]]:
    rows = await session.execute(select(AuditEvent.action, AuditEvent.details))
    return [(action, details) for action, details in rows.all()]


async def test_a_removed_admins_key_stops_working_and_its_revocation_is_audited(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    owner = await sign_in(personas.owner)
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme/members")).status_code == 200
        removed = await owner.delete(f"/api/orgs/acme/members/{personas.admin.id}")
        assert removed.status_code == 204
        assert (await robot.get("/api/orgs/acme/members")).status_code == 401
        assert (await robot.get("/api/orgs/acme")).status_code == 401
    assert ("api_key.revoke", {"reason": "creator_removed"}) in await _actions(session)
    assert (await owner.get("/api/orgs/acme/api-keys")).json() == []


async def test_a_demoted_admins_key_acts_with_the_lower_role_and_cannot_promote(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    owner = await sign_in(personas.owner)
    demoted = await owner.patch(
        f"/api/orgs/acme/members/{personas.admin.id}", json={"role": "member"}
    )
    assert demoted.status_code == 200
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).json()["role"] == "member"
        assert (await robot.get("/api/orgs/acme/api-keys")).status_code == 403
        # The exploit the review found: the old key promoting its creator back.
        promote = await robot.patch(
            f"/api/orgs/acme/members/{personas.admin.id}", json={"role": "admin"}
        )
        assert promote.status_code == 403
        assert (await robot.post("/api/orgs/acme/api-keys", json={"name": "x"})).status_code == 403
    members = (await owner.get("/api/orgs/acme/members")).json()
    assert {m["login"]: m["role"] for m in members}["admin-of-acme"] == "member"


async def test_a_key_dies_with_its_creators_membership_even_without_a_revocation(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    """Checked at authentication: a membership gone by any path (a race with the removal,
    a purge, a row deleted by hand) takes the key with it."""
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    await session.execute(delete(Membership).where(Membership.user_id == personas.admin.id))
    await session.commit()
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401
    revoked_at = await session.scalar(select(ApiKey.revoked_at))
    assert revoked_at is None  # nothing revoked it: authentication alone refused it


async def test_a_key_made_by_a_key_is_tied_to_the_same_person(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin = await sign_in(personas.admin)
    first = await _key(admin)
    async with client_with(app, headers={"Authorization": f"Bearer {first}"}) as robot:
        second = await _key(robot, role="member")
    owner = await sign_in(personas.owner)
    listed = (await owner.get("/api/orgs/acme/api-keys")).json()
    assert {k["created_by"] for k in listed} == {"admin-of-acme"}
    assert (await owner.delete(f"/api/orgs/acme/members/{personas.admin.id}")).status_code == 204
    async with client_with(app, headers={"Authorization": f"Bearer {second}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401


async def test_a_key_of_a_leaving_member_is_revoked(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    invite = await _invite(admin, role="member")
    assert (await admin.post("/api/orgs/acme/leave")).status_code == 204
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401
    actions = await _actions(session)
    assert ("api_key.revoke", {"reason": "creator_left"}) in actions
    assert ("invite.revoke", {"reason": "inviter_left"}) in actions
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    assert (await joining.get(f"/api/invites/{invite}")).json()["status"] == "revoked"
    assert (await joining.post(f"/api/invites/{invite}/accept")).status_code == 409


async def test_an_invite_of_a_removed_admin_grants_nothing(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """The review's case: a removed member rejoined as admin with an invite made by an
    admin who had since been removed."""
    admin = await sign_in(personas.admin)
    token = await _invite(admin)
    owner = await sign_in(personas.owner)
    assert (await owner.delete(f"/api/orgs/acme/members/{personas.admin.id}")).status_code == 204
    returning = await sign_in(personas.member)
    assert (await owner.delete(f"/api/orgs/acme/members/{personas.member.id}")).status_code == 204
    refused = await returning.post(f"/api/invites/{token}/accept")
    assert refused.status_code == 409
    assert "revoked" in refused.json()["detail"]
    assert (await returning.get("/api/orgs/acme")).status_code == 404
    invites = (await owner.get("/api/orgs/acme/invites")).json()
    assert [i["status"] for i in invites] == ["revoked"]


async def test_an_invite_is_checked_against_its_inviter_at_acceptance(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """Even when the inviter's membership vanished without the revocation running."""
    admin = await sign_in(personas.admin)
    token = await _invite(admin)
    await session.execute(delete(Membership).where(Membership.user_id == personas.admin.id))
    await session.commit()
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    assert (await joining.get(f"/api/invites/{token}")).json()["status"] == "revoked"
    assert (await joining.post(f"/api/invites/{token}/accept")).status_code == 409
    assert (await joining.get("/api/orgs/acme")).status_code == 404


async def test_an_invite_grants_no_more_than_its_inviter_holds_now(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = await _invite(admin)
    owner = await sign_in(personas.owner)
    demoted = await owner.patch(
        f"/api/orgs/acme/members/{personas.admin.id}", json={"role": "viewer"}
    )
    assert demoted.status_code == 200
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    assert (await joining.get(f"/api/invites/{token}")).json()["role"] == "viewer"
    accepted = await joining.post(f"/api/invites/{token}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["role"] == "viewer"


@pytest.mark.parametrize("what", ["api-keys", "invites"])
async def test_only_owners_revoke_owner_rank(
    sign_in: SignIn, personas: Personas, session: AsyncSession, what: str
) -> None:
    owner = await sign_in(personas.owner)
    body = {"name": "deploy", "role": "owner"} if what == "api-keys" else {"role": "owner"}
    created = (await owner.post(f"/api/orgs/acme/{what}", json=body)).json()
    admin = await sign_in(personas.admin)
    refused = await admin.delete(f"/api/orgs/acme/{what}/{created['id']}")
    assert refused.status_code == 403
    assert "Only an owner" in refused.json()["detail"]
    assert await session.scalar(select(ApiKey.revoked_at).where(ApiKey.role == Role.OWNER)) is None
    assert await session.scalar(select(Invite.revoked_at).where(Invite.role == Role.OWNER)) is None
    assert (await owner.delete(f"/api/orgs/acme/{what}/{created['id']}")).status_code == 204


async def test_concurrent_accepts_by_one_person_answer_409_never_500(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    tokens = [await _invite(admin, role="member") for _ in range(4)]
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    answers = await asyncio.gather(
        *(joining.post(f"/api/invites/{token}/accept") for token in tokens)
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 409, 409, 409], [a.text for a in answers]
    count = await session.scalar(
        select(Membership.id).where(Membership.user_id == newcomer.id).limit(1)
    )
    assert count is not None


async def test_two_renames_to_one_slug_at_once_answer_409_never_500(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    second = await make_org(session, "Initech")
    await add_member(session, second, personas.owner, Role.OWNER)
    await session.commit()
    owner = await sign_in(personas.owner)
    answers = await asyncio.gather(
        owner.patch("/api/orgs/acme", json={"slug": "taken-once"}),
        owner.patch("/api/orgs/initech", json={"slug": "taken-once"}),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]


async def test_a_key_dies_with_its_creators_account(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    """A deleted account (restorable, its memberships still on file) ends its keys at
    once, as SPEC §5 says of deleting a user."""
    admin = await sign_in(personas.admin)
    key = await _key(admin)
    other = await _key(await sign_in(personas.owner))
    await session.execute(
        update(User).where(User.id == personas.admin.id).values(deleted_at=utcnow())
    )
    await session.commit()
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401
    async with client_with(app, headers={"Authorization": f"Bearer {other}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 200


async def test_a_deleted_key_is_refused(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    key = await _key(await sign_in(personas.admin))
    await session.execute(update(ApiKey).values(deleted_at=utcnow()))
    await session.commit()
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401
