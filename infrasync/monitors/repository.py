from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import GitHubCredential, Monitor, User


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def monitors(session: AsyncSession, org_id: uuid.UUID) -> list[Monitor]:
    rows = await session.scalars(
        select(Monitor)
        .where(Monitor.org_id == org_id, Monitor.deleted_at.is_(None))
        .order_by(Monitor.created_at)
    )
    return list(rows)


async def monitor_in_org(
    session: AsyncSession, org_id: uuid.UUID, monitor_id: uuid.UUID
) -> Monitor | None:
    return await session.scalar(
        select(Monitor).where(
            Monitor.org_id == org_id, Monitor.id == monitor_id, Monitor.deleted_at.is_(None)
        )
    )


async def credential_with_owner(
    session: AsyncSession, credential_id: uuid.UUID
) -> tuple[GitHubCredential, User | None] | None:
    row = (
        await session.execute(
            select(GitHubCredential, User)
            .outerjoin(User, User.id == GitHubCredential.user_id)
            .where(GitHubCredential.id == credential_id)
        )
    ).first()
    return (row[0], row[1]) if row else None
