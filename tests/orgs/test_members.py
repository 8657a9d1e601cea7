from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import OrgContext
from infrasync.errors import Conflict
from infrasync.kit.client_info import NO_CLIENT
from infrasync.models import Membership, Org, Role, User
from infrasync.orgs import service as org_service
from tests.conftest import Personas, SignIn
from tests.factories import add_member, make_user


async def _roles(http: object, slug: str = "acme") -> dict[str, str]:
    members = (await http.get(f"/api/orgs/{slug}/members")).json()  # type: ignore[attr-defined]
    return {m["login"]: m["role"] for m in members}


async def test_every_member_sees_the_member_list(sign_in: SignIn, personas: Personas) -> None:
    viewer = await sign_in(personas.viewer)
    roles = await _roles(viewer)
    assert roles == {
        "owner-of-acme": "owner",
        "admin-of-acme": "admin",
        "member-of-acme": "member",
        "viewer-of-acme": "viewer",
    }


async def test_admin_changes_roles_up_to_admin(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    path = f"/api/orgs/acme/members/{personas.viewer.id}"
    promoted = await admin.patch(path, json={"role": "admin"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    to_owner = await admin.patch(path, json={"role": "owner"})
    assert to_owner.status_code == 403
    assert "Only an owner" in to_owner.json()["detail"]
    demote_owner = await admin.patch(
        f"/api/orgs/acme/members/{personas.owner.id}", json={"role": "member"}
    )
    assert demote_owner.status_code == 403
    assert (await _roles(admin))["owner-of-acme"] == "owner"


async def test_members_and_viewers_cannot_change_roles(sign_in: SignIn, personas: Personas) -> None:
    member = await sign_in(personas.member)
    response = await member.patch(
        f"/api/orgs/acme/members/{personas.viewer.id}", json={"role": "member"}
    )
    assert response.status_code == 403
    assert "admin role or higher" in response.json()["detail"]


async def test_the_last_owner_cannot_be_demoted_removed_or_leave(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    me = f"/api/orgs/acme/members/{personas.owner.id}"
    demote = await owner.patch(me, json={"role": "admin"})
    assert demote.status_code == 409
    assert "at least one owner" in demote.json()["detail"]
    assert (await owner.delete(me)).status_code == 409
    assert (await owner.post("/api/orgs/acme/leave")).status_code == 409
    assert (await _roles(owner))["owner-of-acme"] == "owner"


async def test_with_two_owners_one_may_step_down(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    admin_path = f"/api/orgs/acme/members/{personas.admin.id}"
    assert (await owner.patch(admin_path, json={"role": "owner"})).status_code == 200
    step_down = await owner.patch(
        f"/api/orgs/acme/members/{personas.owner.id}", json={"role": "member"}
    )
    assert step_down.status_code == 200
    new_owner = await sign_in(personas.admin)
    assert (await new_owner.delete(admin_path)).status_code == 409  # now the last owner


async def test_a_removed_member_loses_access_on_the_next_request(
    sign_in: SignIn, personas: Personas
) -> None:
    admin = await sign_in(personas.admin)
    member = await sign_in(personas.member)
    assert (await member.get("/api/orgs/acme")).status_code == 200
    assert (await admin.delete(f"/api/orgs/acme/members/{personas.member.id}")).status_code == 204
    assert (await member.get("/api/orgs/acme")).status_code == 404
    assert "member-of-acme" not in await _roles(admin)


async def test_leaving(sign_in: SignIn, personas: Personas) -> None:
    viewer = await sign_in(personas.viewer)
    assert (await viewer.post("/api/orgs/acme/leave")).status_code == 204
    assert (await viewer.get("/api/orgs")).json() == []


async def test_unknown_members_are_404(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.patch(f"/api/orgs/acme/members/{uuid.uuid4()}", json={"role": "viewer"})
    assert response.status_code == 404
    # A member of another org is no member of this one.
    outsider = await admin.delete(f"/api/orgs/acme/members/{personas.outsider.id}")
    assert outsider.status_code == 404
    bad_id = await admin.patch("/api/orgs/acme/members/not-a-uuid", json={"role": "viewer"})
    assert bad_id.status_code == 422


async def test_an_invalid_role_is_a_422(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.patch(
        f"/api/orgs/acme/members/{personas.viewer.id}", json={"role": "emperor"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "The role must be 'owner', 'admin', 'member' or 'viewer'."


async def test_deleted_users_are_not_counted_as_owners(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    from infrasync.kit.time import utcnow

    ghost = await make_user(session, "ghost")
    await add_member(session, personas.org, ghost, Role.OWNER)
    ghost.deleted_at = utcnow()
    await session.commit()
    owner = await sign_in(personas.owner)
    response = await owner.patch(
        f"/api/orgs/acme/members/{personas.owner.id}", json={"role": "admin"}
    )
    assert response.status_code == 409


async def test_two_owners_demoting_each_other_at_once_leave_the_org_one_owner(
    app: FastAPI, sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """The second demotion waits for the first to commit, then counts the owners again
    and refuses: without the org's lock both would count two owners and leave none (on
    SQLite too, whose transactions begin at their first write, after the count)."""
    await session.execute(
        update(Membership)
        .where(Membership.org_id == personas.org.id, Membership.user_id == personas.admin.id)
        .values(role=Role.OWNER)
    )
    await session.commit()
    factory = app.state.session_factory

    async def as_owner(db: AsyncSession, user: User) -> OrgContext:
        org, me = await db.get_one(Org, personas.org.id), await db.get_one(User, user.id)
        return OrgContext.of_member(org, me, Role.OWNER)

    async with factory() as first, factory() as second:
        # The first demotion is made and not yet committed...
        await org_service.change_role(
            first, await as_owner(first, personas.owner), personas.admin.id, Role.MEMBER, NO_CLIENT
        )
        # ...when the second starts; it is let run until it writes or locks.
        second_context = await as_owner(second, personas.admin)
        writes = asyncio.Event()

        def on_statement(*args: Any) -> None:
            statement = str(args[2]).lstrip().upper()
            if statement.startswith(("UPDATE", "INSERT", "DELETE")) or "FOR UPDATE" in statement:
                writes.set()

        connection = await second.connection()
        event.listen(connection.sync_connection, "before_cursor_execute", on_statement)
        demotion = asyncio.create_task(
            org_service.change_role(
                second, second_context, personas.owner.id, Role.MEMBER, NO_CLIENT
            )
        )
        waiting = asyncio.create_task(writes.wait())
        await asyncio.wait({demotion, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        await first.commit()
        with pytest.raises(Conflict, match="at least one owner"):
            await demotion
        await second.rollback()

    roles = await _roles(await sign_in(personas.owner))
    assert (roles["owner-of-acme"], roles["admin-of-acme"]) == ("owner", "member")
