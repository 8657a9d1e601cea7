"""What the org switcher and the members page list: in a stable order people can find
their way in, and only people whose accounts still exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import ApiKey, Invite, Membership, Role, User
from tests.conftest import Personas, SignIn
from tests.factories import add_member, make_org, make_user

JOINED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_my_orgs_are_listed_by_name_then_slug(sign_in: SignIn, session: AsyncSession) -> None:
    """Made in an order neither the names nor the slugs follow, two of them of one name."""
    ada = await make_user(session, "ada")
    for name, slug in (("Zebra Works", "a-zebra"), ("Acme", "zz-acme"), ("Acme", "aa-acme")):
        await add_member(session, await make_org(session, name, slug), ada, Role.OWNER)
    await session.commit()
    listed = (await (await sign_in(ada)).get("/api/orgs")).json()
    assert [(org["name"], org["slug"]) for org in listed] == [
        ("Acme", "aa-acme"),
        ("Acme", "zz-acme"),
        ("Zebra Works", "a-zebra"),
    ]


async def test_members_are_listed_in_the_order_they_joined_then_by_login(
    sign_in: SignIn, session: AsyncSession
) -> None:
    """Two who joined at the same moment come by login; whoever joined first comes first
    whatever their login."""
    initech = await make_org(session, "Initech")
    later = JOINED + timedelta(days=1)
    people: dict[str, User] = {}
    for login, joined_at in (("zed", JOINED), ("bob", later), ("amy", later)):
        people[login] = await make_user(session, login)
        session.add(
            Membership(
                org_id=initech.id, user_id=people[login].id, role=Role.MEMBER, created_at=joined_at
            )
        )
        await session.flush()  # one at a time: the rows are stored in this order
    await session.commit()
    members = (await (await sign_in(people["bob"])).get("/api/orgs/initech/members")).json()
    assert [m["login"] for m in members] == ["zed", "amy", "bob"]
    assert [datetime.fromisoformat(m["joined_at"]) for m in members] == [JOINED, later, later]


async def test_a_deleted_account_is_not_listed_among_the_members(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """Deleting an account keeps its memberships on file (it may be restored), but the org
    no longer shows the person."""
    await session.execute(
        update(User).where(User.id == personas.admin.id).values(deleted_at=utcnow())
    )
    await session.commit()
    members = (await (await sign_in(personas.viewer)).get("/api/orgs/acme/members")).json()
    assert [m["login"] for m in members] == [
        personas.owner.login,
        personas.member.login,
        personas.viewer.login,
    ]
    owner = await sign_in(personas.owner)
    path = f"/api/orgs/acme/members/{personas.admin.id}"
    assert (await owner.patch(path, json={"role": "viewer"})).status_code == 404


async def test_invites_and_api_keys_are_listed_newest_first(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    for name in ("first", "second", "third"):
        assert (await admin.post("/api/orgs/acme/invites", json={})).status_code == 201
        made = await admin.post("/api/orgs/acme/api-keys", json={"name": name})
        assert made.status_code == 201
    # Spread apart by hand: the order must come from the timestamps alone.
    invite_rows = (await session.scalars(select(Invite).order_by(Invite.created_at))).all()
    key_rows = (await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all()
    for offset, (invite, key) in enumerate(zip(invite_rows, key_rows, strict=True)):
        invite.created_at = key.created_at = JOINED + timedelta(minutes=offset)
    await session.commit()
    keys = (await admin.get("/api/orgs/acme/api-keys")).json()
    assert [k["name"] for k in keys] == ["third", "second", "first"]
    invites = (await admin.get("/api/orgs/acme/invites")).json()
    created = [datetime.fromisoformat(i["created_at"]) for i in invites]
    assert created == sorted(created, reverse=True)
    assert len(set(created)) == 3
