from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from infrasync.models import DigestRecord, Monitor, MonitorFeed, Org


async def add(session: AsyncSession, feed: MonitorFeed) -> None:
    session.add(feed)
    await session.flush()


async def remove(session: AsyncSession, feed: MonitorFeed) -> None:
    await session.execute(delete(MonitorFeed).where(MonitorFeed.id == feed.id))


async def feed_of_monitor(session: AsyncSession, monitor_id: uuid.UUID) -> MonitorFeed | None:
    return await session.scalar(select(MonitorFeed).where(MonitorFeed.monitor_id == monitor_id))


async def feeds_of_org(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[MonitorFeed, str]]:
    """The org's feeds of live monitors with each monitor's name, oldest first."""
    rows = await session.execute(
        select(MonitorFeed, Monitor.name)
        .join(Monitor, Monitor.id == MonitorFeed.monitor_id)
        .where(MonitorFeed.org_id == org_id, Monitor.deleted_at.is_(None))
        .order_by(MonitorFeed.created_at, MonitorFeed.id)
    )
    return [(feed, name) for feed, name in rows.all()]


async def live_feed(
    session: AsyncSession, token_hash: str
) -> tuple[MonitorFeed, Monitor, Org] | None:
    """The feed whose token has this hash, while its monitor and org are not deleted."""
    row = await session.execute(
        select(MonitorFeed, Monitor, Org)
        .join(Monitor, Monitor.id == MonitorFeed.monitor_id)
        .join(Org, Org.id == MonitorFeed.org_id)
        .where(
            MonitorFeed.token_hash == token_hash,
            Monitor.deleted_at.is_(None),
            Org.deleted_at.is_(None),
        )
    )
    found = row.first()
    return (found[0], found[1], found[2]) if found else None


async def newest_digests(
    session: AsyncSession, monitor_id: uuid.UUID, limit: int
) -> list[DigestRecord]:
    """The monitor's newest digests with what a feed shows of them: not their metrics
    and items, most of a digest's bytes."""
    return list(
        await session.scalars(
            select(DigestRecord)
            .options(
                load_only(
                    DigestRecord.text,
                    DigestRecord.repository,
                    DigestRecord.writer,
                    DigestRecord.writer_note,
                    DigestRecord.created_at,
                    raiseload=True,
                )
            )
            .where(DigestRecord.monitor_id == monitor_id)
            .order_by(DigestRecord.created_at.desc(), DigestRecord.id.desc())
            .limit(limit)
        )
    )
