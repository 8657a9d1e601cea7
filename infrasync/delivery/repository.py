"""Every statement of channels, the outbox (deliveries) and attempts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from infrasync.kit.db import picked_once
from infrasync.kit.pagination import keyset, page_of
from infrasync.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DigestRecord,
    EmailSuppression,
    Monitor,
    Org,
    monitor_channels,
)


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def channels(session: AsyncSession, org_id: uuid.UUID) -> list[Channel]:
    rows = await session.scalars(
        select(Channel)
        .where(Channel.org_id == org_id, Channel.deleted_at.is_(None))
        .order_by(Channel.created_at)
    )
    return list(rows)


async def channel_in_org(
    session: AsyncSession, org_id: uuid.UUID, channel_id: uuid.UUID
) -> Channel | None:
    return await session.scalar(
        select(Channel).where(
            Channel.org_id == org_id, Channel.id == channel_id, Channel.deleted_at.is_(None)
        )
    )


async def live_channel_ids(
    session: AsyncSession, org_id: uuid.UUID, channel_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    if not channel_ids:
        return set()
    rows = await session.scalars(
        select(Channel.id).where(
            Channel.org_id == org_id, Channel.id.in_(channel_ids), Channel.deleted_at.is_(None)
        )
    )
    return set(rows)


async def set_monitor_channels(
    session: AsyncSession, monitor_id: uuid.UUID, channel_ids: set[uuid.UUID]
) -> None:
    await session.execute(
        delete(monitor_channels).where(monitor_channels.c.monitor_id == monitor_id)
    )
    if channel_ids:
        await session.execute(
            insert(monitor_channels),
            [{"monitor_id": monitor_id, "channel_id": cid} for cid in sorted(channel_ids)],
        )


async def channels_of_monitors(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Channel]]:
    """Each monitor's live channels, in one query."""
    found: dict[uuid.UUID, list[Channel]] = {monitor_id: [] for monitor_id in monitor_ids}
    if not monitor_ids:
        return found
    rows = await session.execute(
        select(monitor_channels.c.monitor_id, Channel)
        .join(Channel, Channel.id == monitor_channels.c.channel_id)
        .where(monitor_channels.c.monitor_id.in_(monitor_ids), Channel.deleted_at.is_(None))
        .order_by(Channel.created_at)
    )
    for monitor_id, channel in rows.all():
        found[monitor_id].append(channel)
    return found


async def monitor_ids_of_channels(
    session: AsyncSession, channel_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {channel_id: [] for channel_id in channel_ids}
    if not channel_ids:
        return found
    rows = await session.execute(
        select(monitor_channels.c.channel_id, monitor_channels.c.monitor_id)
        .join(Monitor, Monitor.id == monitor_channels.c.monitor_id)
        .where(monitor_channels.c.channel_id.in_(channel_ids), Monitor.deleted_at.is_(None))
    )
    for channel_id, monitor_id in rows.all():
        found[channel_id].append(monitor_id)
    return found


async def suppressions(
    session: AsyncSession, channel_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, str]]:
    """{channel: {address: reason}} for email channels' suppressed addresses."""
    found: dict[uuid.UUID, dict[str, str]] = {channel_id: {} for channel_id in channel_ids}
    if not channel_ids:
        return found
    rows = await session.scalars(
        select(EmailSuppression).where(EmailSuppression.channel_id.in_(channel_ids))
    )
    for row in rows:
        found[row.channel_id][row.address] = row.reason
    return found


async def suppression(
    session: AsyncSession, channel_id: uuid.UUID, address: str
) -> EmailSuppression | None:
    return await session.scalar(
        select(EmailSuppression).where(
            EmailSuppression.channel_id == channel_id, EmailSuppression.address == address
        )
    )


async def channel_by_id(session: AsyncSession, channel_id: uuid.UUID) -> Channel | None:
    return await session.scalar(
        select(Channel).where(Channel.id == channel_id, Channel.deleted_at.is_(None))
    )


# The outbox ----------------------------------------------------------------------------


async def deliverable_channel_ids(session: AsyncSession, monitor_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Channel.id)
        .join(monitor_channels, monitor_channels.c.channel_id == Channel.id)
        .where(
            monitor_channels.c.monitor_id == monitor_id,
            Channel.deleted_at.is_(None),
            Channel.disabled_at.is_(None),
        )
        .order_by(Channel.created_at)
    )
    return list(rows)


def _claimable(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return or_(
        and_(Delivery.state == "pending", Delivery.next_attempt_at <= now),
        # A worker died while sending: its lease ran out. The attempt it was making
        # counts, so a delivery that kills its worker every time ends.
        and_(
            Delivery.state == "sending",
            Delivery.lease_until < now,
            Delivery.attempts < max_attempts,
        ),
    )


async def claim_deliveries(
    session: AsyncSession,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    max_attempts: int,
) -> list[uuid.UUID]:
    picked = picked_once(
        # Deliveries whose worker died first, then due ones, each in its index's order
        # (see kit.db.picked_once: never more than `limit`, never the whole backlog).
        select(Delivery.id)
        .where(
            Delivery.state == "sending",
            Delivery.lease_until < now,
            Delivery.attempts < max_attempts,
        )
        .order_by(Delivery.lease_until),
        select(Delivery.id)
        .where(Delivery.state == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at),
        limit=limit,
    )
    rows = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(picked), _claimable(now, max_attempts))
        .values(
            state="sending",
            claimed_by=worker_id,
            lease_until=now + lease,
            attempts=Delivery.attempts + 1,
            updated_at=now,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in rows.all()]


async def give_up_abandoned(session: AsyncSession, now: datetime, max_attempts: int) -> int:
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.state == "sending",
            Delivery.lease_until < now,
            Delivery.attempts >= max_attempts,
        )
        .values(
            state="failed",
            last_error="Gave up: the workers sending it stopped before finishing, every time.",
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Sendable:
    delivery: Delivery
    channel: Channel | None  # None: deleted since
    digest: DigestRecord
    monitor_name: str
    org_slug: str
    org_deleted: bool = False


async def sendable(session: AsyncSession, delivery_id: uuid.UUID) -> Sendable | None:
    row = (
        await session.execute(
            # The channel in the same statement (one less per delivery), None when it
            # has been deleted since the delivery was queued.
            select(Delivery, DigestRecord, Monitor.name, Org.slug, Channel, Org.deleted_at)
            .join(DigestRecord, DigestRecord.id == Delivery.digest_id)
            .join(Monitor, Monitor.id == DigestRecord.monitor_id)
            .join(Org, Org.id == Delivery.org_id)
            .outerjoin(
                Channel, and_(Channel.id == Delivery.channel_id, Channel.deleted_at.is_(None))
            )
            .where(Delivery.id == delivery_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    delivery, digest, monitor_name, org_slug, channel, org_deleted_at = row
    return Sendable(delivery, channel, digest, monitor_name, org_slug, org_deleted_at is not None)


async def renew_leases(
    session: AsyncSession, worker_id: str, delivery_ids: list[uuid.UUID], until: datetime
) -> None:
    if not delivery_ids:
        return
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.claimed_by == worker_id,
            Delivery.state == "sending",
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, worker_id: str, delivery_ids: list[uuid.UUID]) -> None:
    if not delivery_ids:
        return
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.claimed_by == worker_id,
            Delivery.state == "sending",
        )
        .values(state="pending", claimed_by=None, lease_until=None, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )


async def cancel_pending(session: AsyncSession, channel_id: uuid.UUID, reason: str) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.channel_id == channel_id, Delivery.state == "pending")
        .values(state="cancelled", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def oldest_unsent(session: AsyncSession) -> datetime | None:
    oldest: datetime | None = await session.scalar(
        select(func.min(Delivery.created_at)).where(Delivery.state.in_(("pending", "sending")))
    )
    return oldest


async def oldest_due_delivery(session: AsyncSession, now: datetime) -> datetime | None:
    oldest: datetime | None = await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.state == "pending", Delivery.next_attempt_at <= now
        )
    )
    return oldest


async def latest_deliveries(
    session: AsyncSession, digest_id: uuid.UUID
) -> dict[uuid.UUID, Delivery]:
    """The deliveries of one digest, by channel."""
    rows = await session.scalars(select(Delivery).where(Delivery.digest_id == digest_id))
    return {row.channel_id: row for row in rows}


async def latest_delivery_per_channel(
    session: AsyncSession, channel_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Delivery]:
    if not channel_ids:
        return {}
    newest = (
        select(Delivery.channel_id, func.max(Delivery.created_at).label("created_at"))
        .where(Delivery.channel_id.in_(channel_ids))
        .group_by(Delivery.channel_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Delivery).join(
            newest,
            and_(
                newest.c.channel_id == Delivery.channel_id,
                newest.c.created_at == Delivery.created_at,
            ),
        )
    )
    return {row.channel_id: row for row in rows}


async def attempts_page(
    session: AsyncSession, channel_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[DeliveryAttempt], str | None]:
    query = select(DeliveryAttempt).where(DeliveryAttempt.channel_id == channel_id)
    rows = (await session.scalars(keyset(query, DeliveryAttempt, limit=limit, cursor=cursor))).all()
    return page_of(rows, limit)


async def deliveries_of_digests(
    session: AsyncSession, digest_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Delivery]:
    """{(digest, channel): delivery} for the given digests, in one query."""
    if not digest_ids:
        return {}
    rows = await session.scalars(select(Delivery).where(Delivery.digest_id.in_(digest_ids)))
    return {(row.digest_id, row.channel_id): row for row in rows}


async def channels_after(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[Channel]:
    """Channels with sealed secrets (deleted ones too: their rows still hold them), in
    id order, for re-encryption in batches."""
    query = select(Channel).where(
        or_(Channel.url_sealed.is_not(None), Channel.signing_secret_sealed.is_not(None))
    )
    if after is not None:
        query = query.where(Channel.id > after)
    return list(await session.scalars(query.order_by(Channel.id).limit(limit)))
