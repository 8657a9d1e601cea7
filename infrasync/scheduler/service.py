"""The queue of digest runs: what is due, who runs it, and what it leaves behind.

A run's way, the same whether the schedule queued it or a person pressed "run now":
1. queued (one row per monitor and period: the schedule's claim on a monitor moves its
   next run forward in the same transaction, so a period is queued once);
2. claimed by a worker under a lease (one conditional UPDATE), read and planned, and
   committed: nothing is held while GitHub, git or a model answers;
3. the digest is written with no transaction open;
4. stored with one delivery per channel (the outbox) and the run marked done, in one
   transaction. A worker that dies anywhere before that commit leaves a run whose lease
   runs out, and another worker makes it; the digest is unique per (monitor, period), so
   two makings still keep one digest.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import Actor
from infrasync.config import Settings
from infrasync.delivery import service as delivery_service
from infrasync.digests import service as digest_service
from infrasync.digests.service import RunFailed, Trigger
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord, DigestRun, Monitor
from infrasync.monitors import service as monitor_service
from infrasync.scheduler import repository
from infrasync.scheduler.schedule import Schedule, plan_due
from infrasync.sources.model import Window

log = structlog.get_logger(__name__)

# A scheduled run that fails (GitHub down, a token refused) is tried again this much
# later, then given up; a person who asked sees the failure at once instead.
SCHEDULED_RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
FINISHED = frozenset({"done", "failed", "skipped"})


@dataclass(frozen=True)
class RunPolicy:
    lease: timedelta = timedelta(minutes=10)
    max_attempts: int = 5  # claims of one run (each may have ended with its worker)
    retry_delays: tuple[timedelta, ...] = SCHEDULED_RETRY_DELAYS


def schedule_of(monitor: Monitor) -> Schedule:
    days = monitor.schedule_working_days
    return Schedule(
        kind=monitor.schedule_kind,  # type: ignore[arg-type]
        timezone=monitor.schedule_timezone,
        at=monitor.schedule_at,
        weekday=monitor.schedule_weekday,
        cron=monitor.schedule_cron,
        working_days=tuple(days) if days is not None else None,
    )


# Scheduling ------------------------------------------------------------------------------


async def queue_due(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Queues the due period of up to `limit` monitors whose next run has come, and
    moves each one's next run forward. After downtime a monitor gets one run (its latest
    period) and one `skipped` row standing for the periods before it."""
    queued = 0
    for monitor in await repository.due_monitors(session, now, limit):
        seen = monitor.next_run_at
        assert seen is not None, "due monitors have a next run"
        plan = plan_due(schedule_of(monitor), seen, now)
        if not await repository.move_next_run(session, monitor.id, seen, plan.next_run_at):
            continue  # another scheduler took this one
        if plan.skipped is not None:
            session.add(_skipped_run(monitor, plan.skipped, plan.skipped_count, now))
        if plan.run is not None:
            since, until = plan.run
            session.add(_scheduled_run(monitor, since, until, now))
            queued += 1
    await session.flush()
    return queued


def _scheduled_run(monitor: Monitor, since: datetime, until: datetime, now: datetime) -> DigestRun:
    return DigestRun(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=since,
        period_until=until,
        trigger="schedule",
        triggered_by_label="schedule",
        state="queued",
        not_before=now,
    )


def _skipped_run(
    monitor: Monitor, span: tuple[datetime, datetime], count: int, now: datetime
) -> DigestRun:
    since, until = span
    return DigestRun(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=since,
        period_until=until,
        trigger="schedule",
        triggered_by_label="schedule",
        state="skipped",
        not_before=now,
        periods=count,
        finished_at=now,
        error=(
            f"{count} scheduled period(s) were missed while no worker ran; only the "
            "latest one is made (see docs/delivery.md, catching up)."
        ),
    )


async def queue_run(
    session: AsyncSession,
    monitor: Monitor,
    window: Window,
    trigger: Trigger,
    *,
    up_to_now: bool = False,
) -> DigestRun:
    """Queues a person's "run now". Asking twice for a period that is still queued or
    running returns the same run. So does asking again for a window up to now ("the
    last 7 days") while an earlier such ask waits, though "now" has moved on since: a
    double click, or a second tab, is one run, not two digests a second apart."""
    for run in await repository.open_runs(session, monitor.id):
        if _same_ask(run, window, up_to_now=up_to_now):
            return run
    run = DigestRun(
        org_id=monitor.org_id,
        monitor_id=monitor.id,
        period_since=window.since,
        period_until=window.until,
        trigger=trigger.kind,
        triggered_by_user_id=trigger.actor.user_id,
        triggered_by_label=trigger.actor.label,
        state="queued",
        not_before=utcnow(),
    )
    await repository.add(session, run)
    return run


def _same_ask(run: DigestRun, window: Window, *, up_to_now: bool) -> bool:
    if (run.period_since, run.period_until) == (window.since, window.until):
        return True
    if not up_to_now or run.trigger == "schedule":
        return False
    # Up to now: the same start ("since Monday"), or the same length ("the last 7 days").
    length = run.period_until - run.period_since
    return run.period_since == window.since or length == window.until - window.since


# Claiming ---------------------------------------------------------------------------------


async def claim(
    session: AsyncSession, worker_id: str, policy: RunPolicy, limit: int
) -> list[uuid.UUID]:
    now = utcnow()
    await repository.give_up_abandoned_runs(session, now, policy.max_attempts)
    return await repository.claim_runs(
        session, worker_id, now, policy.lease, limit, policy.max_attempts
    )


async def renew(
    session: AsyncSession, worker_id: str, ids: list[uuid.UUID], policy: RunPolicy
) -> None:
    await repository.renew_leases(session, worker_id, ids, utcnow() + policy.lease)


async def release(session: AsyncSession, worker_id: str, ids: list[uuid.UUID]) -> None:
    await repository.release_runs(session, worker_id, ids)


# Running -----------------------------------------------------------------------------------


def _trigger(run: DigestRun) -> Trigger:
    if run.trigger == "schedule":
        actor = Actor.system("schedule")
    else:
        actor = Actor(
            type="user" if run.triggered_by_user_id else "api_key",
            user_id=run.triggered_by_user_id,
            api_key_id=None,
            label=run.triggered_by_label or "someone",
        )
    return Trigger(kind=run.trigger, actor=actor)


def _finish(run: DigestRun, state: str, *, error: str | None = None) -> None:
    run.state, run.error = state, error[:500] if error else None
    run.finished_at, run.lease_until = utcnow(), None


async def process(
    session: AsyncSession,
    settings: Settings,
    run_id: uuid.UUID,
    worker_id: str,
    policy: RunPolicy,
) -> str:
    """Makes a claimed run's digest and keeps it with its deliveries; returns the run's
    new state. Commits the session after planning and after storing."""
    run = await repository.run(session, run_id)
    if run is None or run.state != "running" or run.claimed_by != worker_id:
        await session.commit()
        return "lost"
    monitor = await monitor_service.monitor_for_run(session, run.monitor_id)
    if monitor is None:
        _finish(run, "failed", error="The monitor was deleted.")
        await session.commit()
        return run.state
    window = Window(since=run.period_since, until=run.period_until)
    trigger = _trigger(run)
    # Only a retry can find its period's digest already made (by a try that died after
    # storing it); a first try skips the look-up, one statement less per digest, and
    # should another run have made the period meanwhile, `store` answers with that one.
    existing = (
        await digest_service.existing_for_period(session, monitor.id, window)
        if run.attempts > 1
        else None
    )
    if existing is not None:
        return await _done(session, run, existing, made_now=False)
    try:
        plan = await digest_service.plan_run(session, settings, monitor, trigger)
    except RunFailed as failure:
        return await _failed(session, run, failure, policy)
    await session.commit()  # read only (plan_run writes nothing): none open while we call out
    try:
        digest = await digest_service.write(settings, plan, window)
    except RunFailed as failure:
        await digest_service.note_failure(session, monitor, failure, started_at=plan.started_at)
        return await _failed(session, run, failure, policy)
    stored = await digest_service.store(
        session,
        monitor,
        digest,
        trigger,
        skip_empty=plan.skip_empty,
        first_seen=plan.first_seen,
        started_at=plan.started_at,
    )
    if stored.record is None:
        _finish(run, "skipped", error="A quiet period: this monitor skips empty digests.")
        await session.commit()
        return run.state
    return await _done(session, run, stored.record, made_now=stored.made_now)


async def _done(
    session: AsyncSession, run: DigestRun, record: DigestRecord, *, made_now: bool
) -> str:
    if made_now:
        await delivery_service.enqueue(session, record)
    run.digest_id = record.id
    _finish(run, "done")
    await session.commit()
    return run.state


async def _failed(
    session: AsyncSession, run: DigestRun, failure: RunFailed, policy: RunPolicy
) -> str:
    tries = run.attempts
    if run.trigger == "schedule" and tries <= len(policy.retry_delays):
        run.state, run.error = "queued", str(failure)[:500]
        run.not_before = utcnow() + policy.retry_delays[tries - 1]
        run.lease_until, run.claimed_by = None, None
    else:
        _finish(run, "failed", error=str(failure))
    await session.commit()
    return run.state


async def run_now(
    session: AsyncSession,
    settings: Settings,
    run: DigestRun,
    *,
    wait_seconds: float,
    policy: RunPolicy | None = None,
) -> DigestRun:
    """For `?wait=true`: takes the queued run itself (a person is waiting; a worker may
    be busy or absent) through the same steps as a worker, or, when a worker has it
    already, waits for that worker to finish. Returns the run as it stands."""
    policy = policy or RunPolicy()
    await session.commit()
    me = f"request-{uuid.uuid4().hex[:12]}"
    if await repository.claim_run(session, run.id, me, utcnow(), policy.lease):
        await session.commit()
        await process(session, settings, run.id, me, policy)
    else:
        await session.commit()
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        current = await repository.run(session, run.id)
        await session.commit()
        if current is None or current.state in FINISHED:
            break
        if asyncio.get_running_loop().time() >= deadline:
            break
        await asyncio.sleep(0.2)
    return current or run


async def get_run(session: AsyncSession, org_id: uuid.UUID, run_id: uuid.UUID) -> DigestRun | None:
    return await repository.run_in_org(session, org_id, run_id)


async def latest_runs(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DigestRun]:
    return await repository.latest_runs(session, monitor_ids)


# Heartbeats and lag ----------------------------------------------------------------------------


async def beat(
    session: AsyncSession,
    worker_id: str,
    hostname: str,
    pid: int,
    started_at: datetime,
    counters: dict[str, int],
) -> None:
    now = utcnow()
    await repository.beat(session, worker_id, hostname, pid, started_at, now, counters)
    await repository.forget_silent_workers(session, now - timedelta(days=1))


async def worker_counters(session: AsyncSession) -> dict[str, dict[str, int]]:
    return await repository.worker_counters(session)


async def forget_worker(session: AsyncSession, worker_id: str) -> None:
    await repository.forget_worker(session, worker_id)


@dataclass(frozen=True)
class QueueFigures:
    heartbeat_age_seconds: float | None  # None: no worker seen
    queue_lag_seconds: float  # now minus the oldest due item (0 when none is due)
    oldest_unsent_seconds: float  # age of the oldest delivery not yet delivered
    # Disabled channels by kind: a rise means receivers were removed or refuse us.
    disabled_channels: dict[str, int]


async def figures(session: AsyncSession) -> QueueFigures:
    now = utcnow()
    beat_at = await repository.last_heartbeat(session)
    due = [
        moment
        for moment in (
            await repository.oldest_due_run(session, now),
            await repository.oldest_due_monitor(session, now),
            await delivery_service.oldest_due(session, now),
        )
        if moment is not None
    ]
    unsent = await delivery_service.oldest_unsent(session)
    return QueueFigures(
        heartbeat_age_seconds=(now - beat_at).total_seconds() if beat_at else None,
        queue_lag_seconds=max(0.0, (now - min(due)).total_seconds()) if due else 0.0,
        oldest_unsent_seconds=max(0.0, (now - unsent).total_seconds()) if unsent else 0.0,
        disabled_channels=await repository.disabled_channels_by_kind(session),
    )
