"""Every statement of deletion, restore, purge and export (SPEC §4, §6 "Retention")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import (
    AuditEvent,
    AuthSession,
    Channel,
    Delivery,
    DigestRecord,
    DigestRun,
    EmailSuppression,
    Membership,
    Monitor,
    Org,
    OrgBilling,
    Role,
    User,
)

# What a purged person is called in the rows that outlive them.
DELETED_USER = "deleted user"


def _count(result: object) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


# Stopping an org or a person ----------------------------------------------------------


async def scheduled_monitors(session: AsyncSession, org_id: uuid.UUID) -> list[Monitor]:
    rows = await session.scalars(
        select(Monitor).where(
            Monitor.org_id == org_id,
            Monitor.deleted_at.is_(None),
            Monitor.paused.is_(False),
            Monitor.schedule_kind != "manual",
        )
    )
    return list(rows)


async def stop_queued_runs(
    session: AsyncSession,
    reason: str,
    now: datetime,
    *,
    org_id: uuid.UUID | None = None,
    triggered_by: uuid.UUID | None = None,
) -> int:
    """Queued runs of an org, or asked for by a person, end as failed with `reason`. A run
    a worker already holds finds its org deleted (monitors.live_monitor) and fails too."""
    where = [DigestRun.state == "queued"]
    if org_id is not None:
        where.append(DigestRun.org_id == org_id)
    if triggered_by is not None:
        where.append(DigestRun.triggered_by_user_id == triggered_by)
    result = await session.execute(
        update(DigestRun)
        .where(*where)
        .values(state="failed", error=reason, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def cancel_org_deliveries(session: AsyncSession, org_id: uuid.UUID, reason: str) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.org_id == org_id, Delivery.state == "pending")
        .values(state="cancelled", last_error=reason, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def revoke_sessions(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _count(result)


async def live_orgs_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Org, Role]]:
    rows = await session.execute(
        select(Org, Membership.role)
        .join(Membership, Membership.org_id == Org.id)
        .where(Membership.user_id == user_id, Org.deleted_at.is_(None))
        .order_by(Org.name, Org.slug)
    )
    return [(org, role) for org, role in rows.all()]


async def lock_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialises what decides an org's owners: two owners deleting their accounts at once
    must not leave it with none. A write that changes nothing (as orgs.repository.lock_org,
    for the same reason): the org row's lock on Postgres, the write lock on SQLite."""
    await session.execute(
        update(Org)
        .where(Org.id == org_id)
        .values(updated_at=Org.updated_at)
        .execution_options(synchronize_session=False)
    )


async def other_members_and_owners(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[int, int]:
    """How many people other than `user_id` are in the org, and how many are owners
    (deleted accounts count as neither: they cannot act)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Membership.role == Role.OWNER),
            )
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.org_id == org_id,
                Membership.user_id != user_id,
                User.deleted_at.is_(None),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def owned_orgs_deleted_at(
    session: AsyncSession, user_id: uuid.UUID, deleted_at: datetime
) -> list[Org]:
    """The orgs a person owns that were deleted with their account (same instant)."""
    rows = await session.scalars(
        select(Org)
        .join(Membership, Membership.org_id == Org.id)
        .where(
            Membership.user_id == user_id,
            Membership.role == Role.OWNER,
            Org.deleted_at == deleted_at,
        )
    )
    return list(rows)


# Purge --------------------------------------------------------------------------------


async def users_deleted_before(session: AsyncSession, cutoff: datetime) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(User.id).where(User.deleted_at.is_not(None), User.deleted_at < cutoff)
    )
    return list(rows)


async def orgs_deleted_before(session: AsyncSession, cutoff: datetime) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Org.id).where(Org.deleted_at.is_not(None), Org.deleted_at < cutoff)
    )
    return list(rows)


async def forget_names(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> None:
    """The labels copied into rows that outlive a purged person say "deleted user": the
    foreign keys become null as the row goes, and the login must not stay behind."""
    ids = list(user_ids)
    text_ids = [str(user_id) for user_id in ids]
    statements = [
        update(AuditEvent)
        .where(AuditEvent.actor_user_id.in_(ids))
        .values(actor_label=DELETED_USER),
        update(AuditEvent)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id.in_(text_ids))
        .values(target_label=DELETED_USER),
        update(DigestRecord)
        .where(DigestRecord.triggered_by_user_id.in_(ids))
        .values(triggered_by_label=DELETED_USER),
        update(DigestRun)
        .where(DigestRun.triggered_by_user_id.in_(ids))
        .values(triggered_by_label=DELETED_USER),
    ]
    for statement in statements:
        await session.execute(statement.execution_options(synchronize_session=False))


async def delete_users(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> None:
    # The database does the rest: memberships, sessions, links, GitHub credentials and
    # offers go (CASCADE); audit actors, digest triggers, invite and key creators and
    # monitor creators become null (SET NULL). SQLite needs foreign_keys=ON (db.py).
    await session.execute(
        delete(User).where(User.id.in_(list(user_ids))).execution_options(synchronize_session=False)
    )


async def delete_orgs(session: AsyncSession, org_ids: Sequence[uuid.UUID]) -> None:
    # Everything of an org refers to it with ON DELETE CASCADE.
    await session.execute(
        delete(Org).where(Org.id.in_(list(org_ids))).execution_options(synchronize_session=False)
    )


async def live_orgs_with_billing(
    session: AsyncSession,
) -> list[tuple[uuid.UUID, OrgBilling | None]]:
    rows = await session.execute(
        select(Org.id, OrgBilling)
        .outerjoin(OrgBilling, OrgBilling.org_id == Org.id)
        .where(Org.deleted_at.is_(None))
    )
    return [(org_id, billing) for org_id, billing in rows.all()]


def _old_digests(org_ids: Sequence[uuid.UUID], cutoff: datetime) -> ColumnElement[bool]:
    return and_(DigestRecord.org_id.in_(list(org_ids)), DigestRecord.created_at < cutoff)


async def count_old_digests(
    session: AsyncSession, org_ids: Sequence[uuid.UUID], cutoff: datetime
) -> int:
    count = await session.scalar(
        select(func.count()).select_from(DigestRecord).where(_old_digests(org_ids, cutoff))
    )
    return int(count or 0)


async def delete_old_digests(
    session: AsyncSession, org_ids: Sequence[uuid.UUID], cutoff: datetime
) -> int:
    # Their deliveries and attempts go with them (CASCADE); runs keep their row with the
    # digest reference set to null.
    result = await session.execute(
        delete(DigestRecord)
        .where(_old_digests(org_ids, cutoff))
        .execution_options(synchronize_session=False)
    )
    return _count(result)


# Export -------------------------------------------------------------------------------


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Membership, Org]]:
    rows = await session.execute(
        select(Membership, Org)
        .join(Org, Org.id == Membership.org_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at)
    )
    return [(membership, org) for membership, org in rows.all()]


async def audit_by_or_about(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[AuditEvent, str | None]]:
    rows = await session.execute(
        select(AuditEvent, Org.slug)
        .outerjoin(Org, Org.id == AuditEvent.org_id)
        .where(
            or_(
                AuditEvent.actor_user_id == user_id,
                and_(AuditEvent.target_type == "user", AuditEvent.target_id == str(user_id)),
            )
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [(event, slug) for event, slug in rows.all()]


async def digests_triggered_by(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[DigestRecord, str, str]]:
    rows = await session.execute(
        select(DigestRecord, Org.slug, Monitor.name)
        .join(Org, Org.id == DigestRecord.org_id)
        .join(Monitor, Monitor.id == DigestRecord.monitor_id)
        .where(DigestRecord.triggered_by_user_id == user_id)
        .order_by(DigestRecord.created_at)
    )
    return [(digest, slug, name) for digest, slug, name in rows.all()]


async def email_channels_of_orgs(
    session: AsyncSession, org_ids: Sequence[uuid.UUID]
) -> list[tuple[Channel, str]]:
    rows = await session.execute(
        select(Channel, Org.slug)
        .join(Org, Org.id == Channel.org_id)
        .where(
            Channel.org_id.in_(list(org_ids)),
            Channel.kind == "email",
            Channel.deleted_at.is_(None),
        )
        .order_by(Org.slug, Channel.name)
    )
    return [(channel, slug) for channel, slug in rows.all()]


async def suppressions_of(
    session: AsyncSession, channel_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], str]:
    rows = await session.execute(
        select(
            EmailSuppression.channel_id, EmailSuppression.address, EmailSuppression.reason
        ).where(EmailSuppression.channel_id.in_(list(channel_ids)))
    )
    return {(channel_id, address.lower()): reason for channel_id, address, reason in rows.all()}
