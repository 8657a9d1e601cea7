from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from infrasync.models import (
    Channel,
    Delivery,
    DigestRecord,
    DigestRun,
    GitHubCredential,
    Monitor,
    Org,
    User,
    monitor_channels,
)


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


# The monitors list in one statement -----------------------------------------------------
#
# The list is the app's busiest read. Gathered from each domain's service it took five
# statements (monitors, tokens, channels, last digests and their deliveries, last runs)
# after authentication's; here it is one, a row per monitor and live channel, read by
# monitors/overview.py. It reads other domains' tables directly, as a read model: the
# tables are the shared schema in infrasync/models, and nothing here writes them.
# Built once at import, with bound parameters, so a request only executes it.


# What the list shows of each monitor: the ORM instance (the schedule and selection
# helpers take one), loaded with these columns only.
_MONITOR_SHOWN = (
    Monitor.name,
    Monitor.source,
    Monitor.source_kind,
    Monitor.selection,
    Monitor.credential_id,
    Monitor.sections,
    Monitor.extra_bots,
    Monitor.include_bots,
    Monitor.skip_empty,
    Monitor.include_pr_descriptions,
    Monitor.writer,
    Monitor.stale_days,
    Monitor.paused,
    Monitor.last_run_at,
    Monitor.last_run_status,
    Monitor.last_run_error,
    Monitor.created_at,
    Monitor.schedule_kind,
    Monitor.schedule_timezone,
    Monitor.schedule_at,
    Monitor.schedule_weekday,
    Monitor.schedule_cron,
    Monitor.schedule_working_days,
    Monitor.next_run_at,
    Monitor.org_id,
)


def _overview_statement(*, one: bool) -> Any:
    owner = aliased(User, name="credential_owner")
    newest_digest = (
        select(DigestRecord.id)
        .where(DigestRecord.monitor_id == Monitor.id)
        .order_by(DigestRecord.created_at.desc(), DigestRecord.id.desc())
        .limit(1)
        .correlate(Monitor)
        .scalar_subquery()
    )
    newest_run = (
        select(DigestRun.id)
        .where(DigestRun.monitor_id == Monitor.id)
        .order_by(DigestRun.created_at.desc(), DigestRun.id.desc())
        .limit(1)
        .correlate(Monitor)
        .scalar_subquery()
    )
    # Everything but the monitor as plain labelled columns: building an ORM instance per
    # table and row cost more than the statement itself.
    query = (
        select(
            Monitor,
            GitHubCredential.id.label("credential_id"),
            GitHubCredential.github_login.label("credential_login"),
            GitHubCredential.token_hint.label("credential_hint"),
            GitHubCredential.private_access.label("credential_private"),
            GitHubCredential.rejected_at.label("credential_rejected_at"),
            owner.id.label("owner_id"),
            owner.login.label("owner_login"),
            Channel.id.label("channel_id"),
            Channel.kind.label("channel_kind"),
            Channel.name.label("channel_name"),
            Channel.disabled_at.label("channel_disabled_at"),
            Channel.disabled_reason.label("channel_disabled_reason"),
            Delivery.id.label("delivery_id"),
            Delivery.state.label("delivery_state"),
            Delivery.attempts.label("delivery_attempts"),
            Delivery.last_status.label("delivery_last_status"),
            Delivery.last_error.label("delivery_last_error"),
            Delivery.created_at.label("delivery_created_at"),
            Delivery.delivered_at.label("delivery_delivered_at"),
            Delivery.next_attempt_at.label("delivery_next_attempt_at"),
            DigestRecord.id.label("digest_id"),
            DigestRecord.period_since.label("digest_since"),
            DigestRecord.period_until.label("digest_until"),
            DigestRecord.created_at.label("digest_created_at"),
            DigestRun.id.label("run_id"),
            DigestRun.state.label("run_state"),
            DigestRun.trigger.label("run_trigger"),
            DigestRun.period_since.label("run_since"),
            DigestRun.period_until.label("run_until"),
            DigestRun.digest_id.label("run_digest_id"),
            DigestRun.error.label("run_error"),
            DigestRun.attempts.label("run_attempts"),
            DigestRun.periods.label("run_periods"),
            DigestRun.created_at.label("run_created_at"),
            DigestRun.finished_at.label("run_finished_at"),
        )
        .options(load_only(*_MONITOR_SHOWN, raiseload=True))
        .outerjoin(GitHubCredential, GitHubCredential.id == Monitor.credential_id)
        .outerjoin(owner, owner.id == GitHubCredential.user_id)
        .outerjoin(monitor_channels, monitor_channels.c.monitor_id == Monitor.id)
        .outerjoin(
            Channel,
            and_(Channel.id == monitor_channels.c.channel_id, Channel.deleted_at.is_(None)),
        )
        .outerjoin(DigestRecord, DigestRecord.id == newest_digest)
        .outerjoin(
            Delivery,
            and_(Delivery.digest_id == DigestRecord.id, Delivery.channel_id == Channel.id),
        )
        .outerjoin(DigestRun, DigestRun.id == newest_run)
        .where(Monitor.org_id == bindparam("org_id"), Monitor.deleted_at.is_(None))
        .order_by(Monitor.created_at, Monitor.id, Channel.created_at, Channel.id)
    )
    if one:
        query = query.where(Monitor.id == bindparam("monitor_id"))
    return query


_OVERVIEW = _overview_statement(one=False)
_OVERVIEW_OF_ONE = _overview_statement(one=True)


async def overview_rows(
    session: AsyncSession, org_id: uuid.UUID, monitor_id: uuid.UUID | None = None
) -> Sequence[Row[Any]]:
    """The org's live monitors (or the one), each with its token and the token's owner,
    its newest digest (id, period and time) and newest run, and a row per channel (live
    ones, with that digest's delivery to it); a monitor with no live channel has one row
    whose channel is None."""
    if monitor_id is None:
        result = await session.execute(_OVERVIEW, {"org_id": org_id})
    else:
        result = await session.execute(
            _OVERVIEW_OF_ONE, {"org_id": org_id, "monitor_id": monitor_id}
        )
    return result.all()
