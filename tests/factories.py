"""Plain functions that put rows in a test database. Grow them as domains land."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import Membership, Org, Role, User

_numbers = itertools.count(1)


async def make_user(session: AsyncSession, login: str | None = None, **fields: object) -> User:
    number = next(_numbers)
    login = login or f"user{number}"
    user = User(
        login=login,
        github_id=fields.pop("github_id", 1_000_000 + number),
        email=fields.pop("email", f"{login}@example.test"),
        name=fields.pop("name", login.title()),
        **fields,
    )
    session.add(user)
    await session.flush()
    return user


async def make_org(session: AsyncSession, name: str = "Acme", slug: str | None = None) -> Org:
    org = Org(name=name, slug=slug or name.lower().replace(" ", "-"))
    session.add(org)
    await session.flush()
    return org


async def add_member(session: AsyncSession, org: Org, user: User, role: Role) -> Membership:
    membership = Membership(org_id=org.id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership
