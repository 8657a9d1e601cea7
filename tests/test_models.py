from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import Membership, Org, Role, User
from tests.conftest import Personas
from tests.factories import make_org


async def test_personas_hold_one_of_each_role(session: AsyncSession, personas: Personas) -> None:
    rows = (
        await session.execute(
            select(User.login, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == personas.org.id)
        )
    ).all()
    assert {role for _, role in rows} == set(Role)
    assert personas.outsider.login not in {login for login, _ in rows}


async def test_timestamps_read_back_aware_utc_on_both_databases(
    session: AsyncSession, personas: Personas
) -> None:
    session.expunge_all()
    org = (await session.execute(select(Org).where(Org.slug == "acme"))).scalar_one()
    assert org.created_at.tzinfo is not None
    assert org.created_at.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - org.created_at).total_seconds()) < 60


async def test_org_slugs_are_unique(session: AsyncSession, personas: Personas) -> None:
    with pytest.raises(IntegrityError):
        await make_org(session, "Acme again", slug="acme")


async def test_a_naive_datetime_is_refused(session: AsyncSession) -> None:
    org = Org(name="Naive", slug="naive", created_at=datetime(2026, 1, 1))
    session.add(org)
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


async def test_deleting_an_org_removes_its_memberships(
    session: AsyncSession, personas: Personas
) -> None:
    await session.delete(personas.other_org)
    await session.commit()
    remaining = await session.execute(
        select(Membership).where(Membership.user_id == personas.outsider.id)
    )
    assert remaining.scalars().all() == []
