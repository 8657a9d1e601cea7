from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from infrasync.kit.pagination import keyset, page_of
from infrasync.models import DigestRecord, Monitor


async def add(session: AsyncSession, row: DigestRecord) -> None:
    session.add(row)
    await session.flush()


async def for_period(
    session: AsyncSession, monitor_id: uuid.UUID, since: datetime, until: datetime
) -> DigestRecord | None:
    return await session.scalar(
        select(DigestRecord).where(
            DigestRecord.monitor_id == monitor_id,
            DigestRecord.period_since == since,
            DigestRecord.period_until == until,
        )
    )


async def digest_by_id(session: AsyncSession, digest_id: uuid.UUID) -> DigestRecord | None:
    return await session.get(DigestRecord, digest_id)


async def digest_in_org(
    session: AsyncSession, org_id: uuid.UUID, digest_id: uuid.UUID
) -> DigestRecord | None:
    return await session.scalar(
        select(DigestRecord).where(DigestRecord.org_id == org_id, DigestRecord.id == digest_id)
    )


async def page(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    monitor_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DigestRecord], str | None]:
    query = select(DigestRecord).where(DigestRecord.org_id == org_id)
    if monitor_id is not None:
        query = query.where(DigestRecord.monitor_id == monitor_id)
    if since is not None:
        query = query.where(DigestRecord.period_until > since)
    if until is not None:
        query = query.where(DigestRecord.period_since < until)
    rows = (await session.scalars(keyset(query, DigestRecord, limit=limit, cursor=cursor))).all()
    return page_of(rows, limit)


async def monitor_names(
    session: AsyncSession, org_id: uuid.UUID, monitor_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Names of the org's live monitors among `monitor_ids` (a deleted monitor has none)."""
    if not monitor_ids:
        return {}
    rows = await session.execute(
        select(Monitor.id, Monitor.name).where(
            Monitor.org_id == org_id, Monitor.id.in_(monitor_ids), Monitor.deleted_at.is_(None)
        )
    )
    return {row[0]: row[1] for row in rows.all()}


async def latest_of_monitors(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DigestRecord]:
    """Each monitor's newest digest, in one query: its id, period and time only (the
    monitors list shows no more), not its text, metrics and items, which are most of a
    digest's bytes and all of its JSON to decode."""
    if not monitor_ids:
        return {}
    newest = (
        select(DigestRecord.monitor_id, func.max(DigestRecord.created_at).label("created_at"))
        .where(DigestRecord.monitor_id.in_(monitor_ids))
        .group_by(DigestRecord.monitor_id)
        .subquery()
    )
    rows = await session.scalars(
        select(DigestRecord)
        .options(
            load_only(
                DigestRecord.monitor_id,
                DigestRecord.period_since,
                DigestRecord.period_until,
                DigestRecord.created_at,
                raiseload=True,
            )
        )
        .join(
            newest,
            and_(
                newest.c.monitor_id == DigestRecord.monitor_id,
                newest.c.created_at == DigestRecord.created_at,
            ),
        )
    )
    return {row.monitor_id: row for row in rows}
