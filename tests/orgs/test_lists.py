"""What the org switcher and the members page list: in a stable order people can find
their way in, and only people whose accounts still exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import Membership, Role, User
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
