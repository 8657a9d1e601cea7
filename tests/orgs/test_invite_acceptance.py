"""Accepting an invite uses that invite only, once, while it still stands: its org not
deleted, its inviter still in that org (not merely in another) with an account, and
nothing having used, revoked or expired it since the acceptor's request looked."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.errors import Conflict
from infrasync.kit.client_info import NO_CLIENT
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import Invite, Membership, Role, User
from infrasync.orgs import service
from tests.conftest import Personas, SignIn
from tests.factories import add_member, make_user


async def _invite(client: httpx.AsyncClient, slug: str = "acme") -> str:
    created = await client.post(f"/api/orgs/{slug}/invites", json={"role": "member"})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


async def _statuses(client: httpx.AsyncClient, slug: str = "acme") -> list[str]:
    return [i["status"] for i in (await client.get(f"/api/orgs/{slug}/invites")).json()]


async def test_accepting_an_invite_leaves_every_other_invite_pending(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin, outsider = await sign_in(personas.admin), await sign_in(personas.outsider)
    first, second = await _invite(admin), await _invite(admin)
    elsewhere = await _invite(outsider, "globex")
    ann, ben = await make_user(session, "ann"), await make_user(session, "ben")
    await session.commit()
    assert (await (await sign_in(ann)).post(f"/api/invites/{first}/accept")).status_code == 200
    assert sorted(await _statuses(admin)) == ["accepted", "pending"]
    assert await _statuses(outsider, "globex") == ["pending"]
    ben_http = await sign_in(ben)
    assert (await ben_http.get(f"/api/invites/{second}")).json()["status"] == "pending"
    assert (await ben_http.post(f"/api/invites/{second}/accept")).status_code == 200
    assert (await ben_http.post(f"/api/invites/{elsewhere}/accept")).status_code == 200


async def test_the_preview_names_who_invited_you(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = await _invite(admin)
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    preview = (await (await sign_in(newcomer)).get(f"/api/invites/{token}")).json()
    assert (preview["invited_by"], preview["status"]) == (personas.admin.login, "pending")
    listed = (await admin.get("/api/orgs/acme/invites")).json()
    assert [i["invited_by"] for i in listed] == [personas.admin.login]


async def test_an_invite_to_a_deleted_org_is_not_found(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    owner = await sign_in(personas.owner)
    token = await _invite(owner)
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    assert (await joining.get(f"/api/invites/{token}")).status_code == 404
    assert (await joining.post(f"/api/invites/{token}/accept")).status_code == 404
    assert (await owner.post("/api/orgs/acme/restore")).status_code == 200
    assert (await joining.get("/api/orgs/acme")).status_code == 404  # never joined


async def test_an_invite_dies_with_its_inviters_membership_even_if_they_belong_elsewhere(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """The inviter's role in another org says nothing about this one. (The membership
    vanishes by hand here, so no revocation runs: the check at acceptance must hold.)"""
    await add_member(session, personas.other_org, personas.admin, Role.OWNER)
    await session.commit()
    token = await _invite(await sign_in(personas.admin))
    await session.execute(
        delete(Membership).where(
            Membership.user_id == personas.admin.id, Membership.org_id == personas.org.id
        )
    )
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    assert (await joining.get(f"/api/invites/{token}")).json()["status"] == "revoked"
    refused = await joining.post(f"/api/invites/{token}/accept")
    assert refused.status_code == 409
    assert "revoked" in refused.json()["detail"]
    assert (await joining.get("/api/orgs/acme")).status_code == 404


async def test_an_invite_dies_with_its_inviters_account(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """A deleted account keeps its memberships on file (it may be restored); its invites
    grant nothing meanwhile."""
    token = await _invite(await sign_in(personas.admin))
    await session.execute(
        update(User).where(User.id == personas.admin.id).values(deleted_at=utcnow())
    )
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    preview = (await joining.get(f"/api/invites/{token}")).json()
    assert (preview["status"], preview["invited_by"]) == ("revoked", None)
    assert (await joining.post(f"/api/invites/{token}/accept")).status_code == 409
    assert (await joining.get("/api/orgs/acme")).status_code == 404


@pytest.mark.parametrize("meanwhile", ["accepted", "revoked", "expired"])
async def test_an_invite_that_changed_after_the_acceptor_looked_is_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession, app: FastAPI, meanwhile: str
) -> None:
    """Two requests race: Ben's has read the invite as pending when Ann's acceptance (or a
    revocation, or the expiry) lands. The claim itself must notice and refuse Ben."""
    admin = await sign_in(personas.admin)
    token = await _invite(admin)
    ann, ben = await make_user(session, "ann"), await make_user(session, "ben")
    await session.commit()
    async with app.state.session_factory() as bens_request:
        looked = await service.find_invite(bens_request, token)
        assert looked.status == "pending"
        await bens_request.commit()  # what it read stays loaded, as within one request
        if meanwhile == "accepted":
            accepted = await (await sign_in(ann)).post(f"/api/invites/{token}/accept")
            assert accepted.status_code == 200
        elif meanwhile == "revoked":
            revoked = await admin.delete(f"/api/orgs/acme/invites/{looked.invite.id}")
            assert revoked.status_code == 204
        else:
            await session.execute(
                update(Invite)
                .where(Invite.token_hash == hash_token(token))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        with pytest.raises(Conflict, match="used a moment ago"):
            await service.accept_invite(bens_request, app.state.settings, ben, token, NO_CLIENT)
        await bens_request.rollback()
    assert (await (await sign_in(ben)).get("/api/orgs/acme")).status_code == 404
