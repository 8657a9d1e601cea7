from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import GitHubCredential, Monitor, Org, User


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


async def active_monitors_newest_first(session: AsyncSession, org_id: uuid.UUID) -> list[Monitor]:
    rows = await session.scalars(
        select(Monitor)
        .where(Monitor.org_id == org_id, Monitor.deleted_at.is_(None), Monitor.paused.is_(False))
        .order_by(Monitor.created_at.desc(), Monitor.id.desc())
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


async def live_monitor(session: AsyncSession, monitor_id: uuid.UUID) -> Monitor | None:
    return await session.scalar(
        select(Monitor)
        .join(Org, Org.id == Monitor.org_id)
        .where(Monitor.id == monitor_id, Monitor.deleted_at.is_(None), Org.deleted_at.is_(None))
        .execution_options(populate_existing=True)
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


async def credentials_with_owners(
    session: AsyncSession, credential_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[GitHubCredential, User | None]]:
    if not credential_ids:
        return {}
    rows = await session.execute(
        select(GitHubCredential, User)
        .outerjoin(User, User.id == GitHubCredential.user_id)
        .where(GitHubCredential.id.in_(credential_ids))
    )
    return {credential.id: (credential, user) for credential, user in rows.all()}


async def detach_credential(
    session: AsyncSession, org_id: uuid.UUID, credential_id: uuid.UUID
) -> list[Monitor]:
    """Lets every monitor of the org that reads with the credential go of it; returns
    those monitors."""
    rows = await session.scalars(
        update(Monitor)
        .where(Monitor.org_id == org_id, Monitor.credential_id == credential_id)
        .values(credential_id=None)
        .returning(Monitor)
        .execution_options(synchronize_session="fetch")
    )
    return list(rows)
