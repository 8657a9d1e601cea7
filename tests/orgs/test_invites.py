from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import Invite
from tests.conftest import Personas, SignIn
from tests.factories import make_user


async def test_invite_and_accept(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    created = await admin.post("/api/orgs/acme/invites", json={"role": "member"})
    assert created.status_code == 201
    invite = created.json()
    assert invite["status"] == "pending"
    assert invite["url"] == f"http://127.0.0.1:8000/invites/{invite['token']}"
    assert len(invite["token"]) >= 22  # at least 128 bits of randomness, base64url

    newcomer = await make_user(session, "newcomer")
    await session.commit()
    joining = await sign_in(newcomer)
    preview = await joining.get(f"/api/invites/{invite['token']}")
    assert preview.status_code == 200
    assert (preview.json()["org_name"], preview.json()["role"]) == ("Acme", "member")
    accepted = await joining.post(f"/api/invites/{invite['token']}/accept")
    assert accepted.status_code == 200
    assert (accepted.json()["slug"], accepted.json()["role"]) == ("acme", "member")
    assert (await joining.get("/api/orgs/acme")).status_code == 200

    listed = (await admin.get("/api/orgs/acme/invites")).json()
    assert [i["status"] for i in listed] == ["accepted"]
    assert "token" not in listed[0]


async def test_an_invite_works_once(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = (await admin.post("/api/orgs/acme/invites", json={})).json()["token"]
    first, second = await make_user(session, "first"), await make_user(session, "second")
    await session.commit()
    assert (await (await sign_in(first)).post(f"/api/invites/{token}/accept")).status_code == 200
    reuse = await (await sign_in(second)).post(f"/api/invites/{token}/accept")
    assert reuse.status_code == 409
    assert "accepted" in reuse.json()["detail"]


async def test_an_expired_invite_is_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = (await admin.post("/api/orgs/acme/invites", json={})).json()["token"]
    row = await session.scalar(select(Invite).where(Invite.token_hash == hash_token(token)))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    newcomer = await make_user(session, "late")
    await session.commit()
    response = await (await sign_in(newcomer)).post(f"/api/invites/{token}/accept")
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]


async def test_a_revoked_invite_is_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    created = (await admin.post("/api/orgs/acme/invites", json={})).json()
    revoked = await admin.delete(f"/api/orgs/acme/invites/{created['id']}")
    assert revoked.status_code == 204
    assert (await admin.delete(f"/api/orgs/acme/invites/{created['id']}")).status_code == 409
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    response = await (await sign_in(newcomer)).post(f"/api/invites/{created['token']}/accept")
    assert response.status_code == 409
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [
        ("admin", "admin", True),
        ("admin", "owner", False),
        ("owner", "owner", True),
    ],
)
async def test_nobody_invites_above_their_own_role(
    sign_in: SignIn, personas: Personas, inviter: str, role: str, allowed: bool
) -> None:
    http = await sign_in(getattr(personas, inviter))
    response = await http.post("/api/orgs/acme/invites", json={"role": role})
    assert response.status_code == (201 if allowed else 403)


async def test_an_email_bound_invite_only_works_for_that_email(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = (
        await admin.post("/api/orgs/acme/invites", json={"email": "Grace@Example.com"})
    ).json()["token"]
    stranger = await make_user(session, "stranger", email="someone@else.com")
    grace = await make_user(session, "grace", email="grace@example.com")
    await session.commit()
    refused = await (await sign_in(stranger)).post(f"/api/invites/{token}/accept")
    assert refused.status_code == 403
    assert "another email" in refused.json()["detail"]
    assert (await (await sign_in(grace)).post(f"/api/invites/{token}/accept")).status_code == 200


async def test_existing_members_and_bad_tokens(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    token = (await admin.post("/api/orgs/acme/invites", json={})).json()["token"]
    member = await sign_in(personas.member)
    already = await member.post(f"/api/invites/{token}/accept")
    assert already.status_code == 409
    assert "already a member" in already.json()["detail"]
    unknown = await member.post("/api/invites/not-a-token/accept")
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"role": "king"},
        {"email": "not-an-email"},
        {"expires_in_days": 0},
        {"expires_in_days": 31},
        {"expires_in_days": "7"},
        {"expires_in_days": True},
    ],
)
async def test_bad_invite_input_is_a_422(
    sign_in: SignIn, personas: Personas, body: dict[str, object]
) -> None:
    admin = await sign_in(personas.admin)
    assert (await admin.post("/api/orgs/acme/invites", json=body)).status_code == 422
    assert (await admin.get("/api/orgs/acme/invites")).json() == []


async def test_invite_tokens_are_stored_hashed(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    token = (await admin.post("/api/orgs/acme/invites", json={})).json()["token"]
    row = (await session.execute(select(Invite))).scalar_one()
    assert row.token_hash == hash_token(token)
    assert token not in row.token_hash
