from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import ApiKey
from tests.conftest import Personas, SignIn, client_with


async def test_an_api_key_is_shown_once_and_works_without_csrf(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    created = await admin.post("/api/orgs/acme/api-keys", json={"name": "CI", "role": "member"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("isk_")
    assert created.json()["hint"] == key[:8]
    listed = (await admin.get("/api/orgs/acme/api-keys")).json()
    assert [(k["name"], k["role"]) for k in listed] == [("CI", "member")]
    assert "key" not in listed[0]
    row = (await session.execute(select(ApiKey))).scalar_one()
    assert row.token_hash == hash_token(key)

    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        got = await robot.get("/api/orgs/acme")
        assert got.status_code == 200
        assert got.json()["role"] == "member"
        # A member-role key may not administer.
        assert (await robot.get("/api/orgs/acme/api-keys")).status_code == 403
        # User-only routes say plainly that keys don't work there.
        me = await robot.get("/api/me")
        assert me.status_code == 401
        assert "API keys work on /api/orgs" in me.json()["detail"]
        # Another org is a 404, never a 403.
        assert (await robot.get("/api/orgs/globex")).status_code == 404

    await session.refresh(row)
    assert row.last_used_at is not None


async def test_a_write_with_an_api_key_needs_no_csrf_header(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin = await sign_in(personas.admin)
    key = (
        await admin.post("/api/orgs/acme/api-keys", json={"name": "ops", "role": "admin"})
    ).json()["key"]
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        renamed = await robot.patch("/api/orgs/acme", json={"name": "Acme Robots"})
        assert renamed.status_code == 200
        audit = (await robot.get("/api/orgs/acme/audit", params={"action": "org.rename"})).json()
        assert audit["items"][0]["actor"]["type"] == "api_key"
        assert audit["items"][0]["actor"]["label"].startswith("ops (isk_")


async def test_revoking_a_key_ends_it_at_once(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin = await sign_in(personas.admin)
    created = (await admin.post("/api/orgs/acme/api-keys", json={"name": "tmp"})).json()
    async with client_with(app, headers={"Authorization": f"Bearer {created['key']}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 200
        assert (await admin.delete(f"/api/orgs/acme/api-keys/{created['id']}")).status_code == 204
        assert (await robot.get("/api/orgs/acme")).status_code == 401
    assert (await admin.get("/api/orgs/acme/api-keys")).json() == []
    assert (await admin.delete(f"/api/orgs/acme/api-keys/{created['id']}")).status_code == 404


async def test_no_key_above_your_own_role(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.post("/api/orgs/acme/api-keys", json={"name": "x", "role": "owner"})
    assert response.status_code == 403
    assert "above your own role" in response.json()["detail"]
    owner = await sign_in(personas.owner)
    ok = await owner.post("/api/orgs/acme/api-keys", json={"name": "x", "role": "owner"})
    assert ok.status_code == 201


async def test_a_deleted_orgs_keys_stop_working(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    owner = await sign_in(personas.owner)
    body = {"name": "x", "role": "owner"}
    key = (await owner.post("/api/orgs/acme/api-keys", json=body)).json()["key"]
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme")).status_code == 401
        # An owner-role key of a deleted org cannot bring it back: that needs a person.
        assert (await robot.post("/api/orgs/acme/restore")).status_code == 401
        listed = await owner.get("/api/orgs", params={"include_deleted": "true"})
        assert [o["deleted_at"] is not None for o in listed.json()] == [True]
        assert (await owner.post("/api/orgs/acme/restore")).status_code == 200
        # Restored by its owner, the org is whole again, keys included.
        assert (await robot.get("/api/orgs/acme")).status_code == 200


async def test_the_key_list_shows_when_a_key_was_last_used_at_most_once_a_minute(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    """A key used in a loop must not turn every read into a write: its last use is
    written again only once the one shown is over a minute old."""
    admin = await sign_in(personas.admin)
    created = (await admin.post("/api/orgs/acme/api-keys", json={"name": "CI"})).json()

    async def shown() -> datetime | None:
        (listed,) = (await admin.get("/api/orgs/acme/api-keys")).json()
        value = listed["last_used_at"]
        return None if value is None else datetime.fromisoformat(value)

    async def use() -> None:
        async with client_with(app, headers={"Authorization": f"Bearer {created['key']}"}) as robot:
            assert (await robot.get("/api/orgs/acme")).status_code == 200

    async def pretend_last_used(moment: datetime) -> None:
        await session.execute(
            update(ApiKey).where(ApiKey.id == uuid.UUID(created["id"])).values(last_used_at=moment)
        )
        await session.commit()

    assert await shown() is None  # never used
    before = utcnow()
    await use()
    first = await shown()
    assert first is not None
    assert before <= first <= utcnow()

    recently = utcnow() - timedelta(seconds=30)
    await pretend_last_used(recently)
    await use()
    assert await shown() == recently  # within the minute: not written again

    long_ago = utcnow() - timedelta(minutes=10)
    await pretend_last_used(long_ago)
    before = utcnow()
    await use()
    latest = await shown()
    assert latest is not None
    assert before <= latest <= utcnow()
