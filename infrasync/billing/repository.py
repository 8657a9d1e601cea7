"""Every SQL statement of billing: the org's billing row, Stripe's event ids, and the
counts that limits and the billing page read (monitors, channels, members, this month's
digests and deliveries; read-only, each one aggregate statement)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import (
    Channel,
    Delivery,
    DigestRecord,
    Invite,
    Membership,
    Monitor,
    Org,
    OrgBilling,
    StripeEvent,
)


async def billing_of(session: AsyncSession, org_id: uuid.UUID) -> OrgBilling | None:
    return await session.scalar(
        select(OrgBilling)
        .where(OrgBilling.org_id == org_id)
        .execution_options(populate_existing=True)
    )


async def billing_for_change(session: AsyncSession, org_id: uuid.UUID) -> OrgBilling:
    """The org's billing row, made if it has none, and locked for this transaction."""
    await lock_org(session, org_id)
    found = await billing_of(session, org_id)
    if found is None:
        found = OrgBilling(org_id=org_id, plan="free", paused_monitors=[])
        session.add(found)
        await session.flush()
    return found


async def billing_by_customer(session: AsyncSession, customer_id: str) -> OrgBilling | None:
    return await session.scalar(
        select(OrgBilling)
        .where(OrgBilling.stripe_customer_id == customer_id)
        .execution_options(populate_existing=True)
    )


async def lock_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialises the changes that a limit or a plan change counts: two monitors added at
    once must not both fit in the last slot. A write that changes nothing, as in
    orgs/repository.lock_org: it takes SQLite's write lock and the org row's on Postgres,
    so a count read after it sees every change committed before."""
    await session.execute(
        update(Org)
        .where(Org.id == org_id)
        .values(updated_at=Org.updated_at)
        .execution_options(synchronize_session=False)
    )


async def set_customer(session: AsyncSession, org_id: uuid.UUID, customer_id: str) -> str:
    """Stores the org's customer unless it already has one; returns the one it has."""
    await session.execute(
        update(OrgBilling)
        .where(OrgBilling.org_id == org_id, OrgBilling.stripe_customer_id.is_(None))
        .values(stripe_customer_id=customer_id)
        .execution_options(synchronize_session=False)
    )
    stored = await session.scalar(
        select(OrgBilling.stripe_customer_id).where(OrgBilling.org_id == org_id)
    )
    return stored or customer_id


async def active_monitors(
    session: AsyncSession, org_id: uuid.UUID, *, besides: uuid.UUID | None = None
) -> int:
    """What the monitors limit counts: the repositories the org's active monitors follow
    (one for a single-repository monitor), leaving out the monitor `besides`."""
    conditions = [Monitor.org_id == org_id, Monitor.deleted_at.is_(None), Monitor.paused.is_(False)]
    if besides is not None:
        conditions.append(Monitor.id != besides)
    count = await session.scalar(
        select(func.coalesce(func.sum(Monitor.repository_count), 0)).where(*conditions)
    )
    return int(count or 0)


async def channels(session: AsyncSession, org_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Channel)
        .where(Channel.org_id == org_id, Channel.deleted_at.is_(None))
    )
    return int(count or 0)


async def members_and_pending_invites(
    session: AsyncSession, org_id: uuid.UUID, now: datetime
) -> tuple[int, int]:
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.org_id == org_id)
        .scalar_subquery()
    )
    invites = (
        select(func.count())
        .select_from(Invite)
        .where(
            Invite.org_id == org_id,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .scalar_subquery()
    )
    row = (await session.execute(select(members, invites))).one()
    return int(row[0] or 0), int(row[1] or 0)


@dataclass(frozen=True)
class MonthUsage:
    digests: int
    deliveries: int


async def month_usage(session: AsyncSession, org_id: uuid.UUID, since: datetime) -> MonthUsage:
    """Digests made and deliveries delivered since `since`, from their stored rows."""
    digests = (
        select(func.count())
        .select_from(DigestRecord)
        .where(DigestRecord.org_id == org_id, DigestRecord.created_at >= since)
        .scalar_subquery()
    )
    deliveries = (
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.org_id == org_id,
            Delivery.state == "delivered",
            Delivery.delivered_at >= since,
        )
        .scalar_subquery()
    )
    row = (await session.execute(select(digests, deliveries))).one()
    return MonthUsage(digests=int(row[0] or 0), deliveries=int(row[1] or 0))


async def lapsed_graces(session: AsyncSession, now: datetime, limit: int = 100) -> list[uuid.UUID]:
    """Orgs still on pro whose past_due grace has ended."""
    rows = await session.scalars(
        select(OrgBilling.org_id)
        .where(
            OrgBilling.grace_ends_at.is_not(None),
            OrgBilling.grace_ends_at <= now,
            OrgBilling.plan == "pro",
        )
        .limit(limit)
    )
    return list(rows)


# Stripe events -----------------------------------------------------------------------------


async def claim_event(session: AsyncSession, event_id: str, type_: str, now: datetime) -> bool:
    """Records the event id; False when it was already handled (a replay). An event whose
    handling failed half-way (Stripe could not be reached) is claimed again by its retry."""
    found = await session.get(StripeEvent, event_id, populate_existing=True)
    if found is not None:
        return found.processed_at is None
    try:
        async with session.begin_nested():
            session.add(StripeEvent(event_id=event_id, type=type_, received_at=now))
    except IntegrityError:
        return False  # the same event, delivered twice at the same moment
    return True


async def finish_event(
    session: AsyncSession, event_id: str, org_id: uuid.UUID | None, outcome: str, now: datetime
) -> None:
    await session.execute(
        update(StripeEvent)
        .where(StripeEvent.event_id == event_id)
        .values(processed_at=now, org_id=org_id, outcome=outcome)
        .execution_options(synchronize_session=False)
    )


async def event(session: AsyncSession, event_id: str) -> StripeEvent | None:
    return await session.get(StripeEvent, event_id, populate_existing=True)
