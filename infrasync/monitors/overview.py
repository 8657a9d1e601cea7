"""A monitor as its page shows it: settings, schedule, next run, last digest, last run
and, per channel, how the last digest's delivery went, so "why didn't it arrive?" is
answered on one screen. One statement however many monitors (monitors/repository.py's
overview_rows says why it reads the other domains' tables itself)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import OrgContext
from infrasync.delivery.schemas import ChannelRef, DeliveryStatus
from infrasync.github.schemas import CredentialOut
from infrasync.models import DigestRun, Monitor
from infrasync.monitors import repository, service
from infrasync.monitors.schemas import LastDigest, MonitorOut, PeriodOut, RunOut, ScheduleOut
from infrasync.monitors.selection import followed_repositories, owner_selection_out


def run_out(run: DigestRun) -> RunOut:
    return RunOut(
        id=run.id,
        monitor_id=run.monitor_id,
        state=run.state,
        trigger=run.trigger,
        period=PeriodOut(since=run.period_since, until=run.period_until),
        digest_id=run.digest_id,
        error=run.error,
        attempts=run.attempts,
        periods=run.periods,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


async def list_out(session: AsyncSession, context: OrgContext) -> list[MonitorOut]:
    """The org's monitors as the list shows them, in one statement."""
    return _shown(await repository.overview_rows(session, context.org.id))


async def one_out(session: AsyncSession, monitor: Monitor) -> MonitorOut:
    """One monitor as its page shows it (after a create or an update: the session's own
    instance, flushed, is what the statement finds)."""
    (shown,) = _shown(await repository.overview_rows(session, monitor.org_id, monitor.id))
    return shown


def _shown(rows: Sequence[Row[Any]]) -> list[MonitorOut]:
    """MonitorOut per monitor from overview_rows' rows: a monitor's rows are adjacent
    (ordered by monitor), one per channel."""
    grouped: list[tuple[Row[Any], list[ChannelRef]]] = []
    for row in rows:
        if not grouped or grouped[-1][0].Monitor.id != row.Monitor.id:
            grouped.append((row, []))
        if row.channel_id is not None:
            grouped[-1][1].append(_channel_ref(row))
    # Built once a monitor's channels are all read: the model copies the list it is given.
    return [_monitor_out(row, channels) for row, channels in grouped]


def _channel_ref(row: Row[Any]) -> ChannelRef:
    delivery = None
    if row.delivery_id is not None:
        delivery = DeliveryStatus(
            id=row.delivery_id,
            digest_id=row.digest_id,
            state=row.delivery_state,
            attempts=row.delivery_attempts,
            last_status=row.delivery_last_status,
            last_error=row.delivery_last_error,
            created_at=row.delivery_created_at,
            delivered_at=row.delivery_delivered_at,
            # As DeliveryStatus.of: only a pending delivery has a next attempt.
            next_attempt_at=row.delivery_next_attempt_at
            if row.delivery_state == "pending"
            else None,
        )
    return ChannelRef(
        id=row.channel_id,
        kind=row.channel_kind,
        name=row.channel_name,
        disabled=row.channel_disabled_at is not None,
        disabled_reason=row.channel_disabled_reason,
        last_delivery=delivery,
    )


def _credential(row: Row[Any]) -> CredentialOut | None:
    """As github.schemas.credential_out, from the row's columns."""
    if row.credential_id is None:
        return None
    return CredentialOut(
        user_id=row.owner_id,
        login=row.owner_login if row.owner_id is not None else row.credential_login,
        token_hint=row.credential_hint,
        private_access=row.credential_private,
        usable=row.credential_rejected_at is None,
    )


def _last_run(row: Row[Any], monitor_id: uuid.UUID) -> RunOut | None:
    """As run_out, from the row's columns."""
    if row.run_id is None:
        return None
    return RunOut(
        id=row.run_id,
        monitor_id=monitor_id,
        state=row.run_state,
        trigger=row.run_trigger,
        period=PeriodOut(since=row.run_since, until=row.run_until),
        digest_id=row.run_digest_id,
        error=row.run_error,
        attempts=row.run_attempts,
        periods=row.run_periods,
        created_at=row.run_created_at,
        finished_at=row.run_finished_at,
    )


def _monitor_out(row: Row[Any], channels: list[ChannelRef]) -> MonitorOut:
    """The monitor of `row` (its first), with its channels."""
    monitor: Monitor = row.Monitor
    return MonitorOut(
        id=monitor.id,
        name=monitor.name,
        source=monitor.source,
        source_kind="git" if monitor.source_kind == "git" else "github",
        repositories=followed_repositories(monitor),
        github_owner=owner_selection_out(monitor),
        credential=_credential(row),
        sections=monitor.sections,
        extra_bots=monitor.extra_bots,
        include_bots=monitor.include_bots,
        skip_empty=monitor.skip_empty,
        include_pr_descriptions=monitor.include_pr_descriptions,
        writer=monitor.writer,
        stale_days=monitor.stale_days,
        paused=monitor.paused,
        last_run_at=monitor.last_run_at,
        last_run_status=monitor.last_run_status,
        last_run_error=monitor.last_run_error,
        created_at=monitor.created_at,
        schedule=_schedule_out(monitor),
        next_run_at=None if monitor.paused else monitor.next_run_at,
        channels=channels,
        last_digest=LastDigest(
            id=row.digest_id,
            period=PeriodOut(since=row.digest_since, until=row.digest_until),
            created_at=row.digest_created_at,
        )
        if row.digest_id is not None
        else None,
        last_run=_last_run(row, monitor.id),
    )


def _schedule_out(monitor: Monitor) -> ScheduleOut:
    given = service.schedule_in(monitor)
    return ScheduleOut(**given.model_dump(), description=service.describe_schedule(given))
