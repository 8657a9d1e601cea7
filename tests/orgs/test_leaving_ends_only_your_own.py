"""A member who leaves takes with them only what is theirs in that org: their live keys
and pending invites there. Others' keys and invites, their own in another org, and what
was already used, revoked or expired stay as they were, with no second audit row."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import AuditEvent, Invite, Role
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_user


async def _key(client: httpx.AsyncClient, slug: str = "acme") -> dict[str, str]:
    created = await client.post(f"/api/orgs/{slug}/api-keys", json={"name": "ci"})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _invite(client: httpx.AsyncClient, slug: str = "acme") -> dict[str, str]:
    created = await client.post(f"/api/orgs/{slug}/invites", json={"role": "viewer"})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _works(app: FastAPI, key: dict[str, str], slug: str = "acme") -> bool:
    async with client_with(app, headers={"Authorization": f"Bearer {key['key']}"}) as robot:
        return (await robot.get(f"/api/orgs/{slug}")).status_code == 200


async def _statuses(client: httpx.AsyncClient, slug: str = "acme") -> dict[str, str]:
    return {i["id"]: i["status"] for i in (await client.get(f"/api/orgs/{slug}/invites")).json()}


async def _revocations(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.in_(["api_key.revoke", "invite.revoke"]))
    )
    return sorted(rows)


async def test_leaving_ends_only_your_own_live_keys_and_pending_invites_here(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    await add_member(session, personas.other_org, personas.admin, Role.ADMIN)
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    admin, owner = await sign_in(personas.admin), await sign_in(personas.owner)
    leavers_key, leavers_key_elsewhere = await _key(admin), await _key(admin, "globex")
    owners_key = await _key(owner)
    revoked_key = await _key(admin)
    assert (await admin.delete(f"/api/orgs/acme/api-keys/{revoked_key['id']}")).status_code == 204
    pending, elsewhere = await _invite(admin), await _invite(admin, "globex")
    owners_invite, accepted, expired = (
        await _invite(owner),
        await _invite(admin),
        await _invite(admin),
    )
    revoked_invite = await _invite(admin)
    assert (await admin.delete(f"/api/orgs/acme/invites/{revoked_invite['id']}")).status_code == 204
    joined = await (await sign_in(newcomer)).post(f"/api/invites/{accepted['token']}/accept")
    assert joined.status_code == 200
    await session.execute(
        update(Invite)
        .where(Invite.token_hash == hash_token(expired["token"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    before = await _revocations(session)

    assert (await admin.post("/api/orgs/acme/leave")).status_code == 204

    assert not await _works(app, leavers_key)
    assert await _works(app, leavers_key_elsewhere, "globex")
    assert await _works(app, owners_key)
    assert await _statuses(owner) == {
        pending["id"]: "revoked",
        owners_invite["id"]: "pending",
        accepted["id"]: "accepted",
        expired["id"]: "expired",
        revoked_invite["id"]: "revoked",
    }
    assert (await _statuses(admin, "globex"))[elsewhere["id"]] == "pending"
    # One revocation each for the live key and the pending invite; none for the rest.
    assert await _revocations(session) == sorted([*before, "api_key.revoke", "invite.revoke"])
