"""Every statement of the queue: due monitors, runs and their leases, worker heartbeats.

Claims are one conditional UPDATE each. On Postgres the rows to take are picked with
`FOR UPDATE SKIP LOCKED`, so workers never wait on each other's rows; SQLite has one
writer at a time, which serialises the UPDATE itself, and ignores the clause.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from infrasync.kit.db import picked_once
from infrasync.models import Channel, DigestRun, Monitor, Org, WorkerHeartbeat


async def due_monitors(session: AsyncSession, now: datetime, limit: int) -> list[Monitor]:
    """Monitors whose next run has come, oldest first, locked for this transaction on
    Postgres (others skip them). Only what scheduling reads is loaded (the rest would
    be a lazy load, which raises): a batch of 200 whole rows took 10 ms to fetch."""
    query = (
        select(Monitor)
        .options(
            load_only(
                Monitor.id,
                Monitor.org_id,
                Monitor.next_run_at,
                Monitor.schedule_kind,
                Monitor.schedule_timezone,
                Monitor.schedule_at,
                Monitor.schedule_weekday,
                Monitor.schedule_cron,
                Monitor.schedule_working_days,
                raiseload=True,
            )
        )
        .join(Org, Org.id == Monitor.org_id)
        .where(
            Monitor.next_run_at <= now,
            Monitor.deleted_at.is_(None),
            Monitor.paused.is_(False),
            Org.deleted_at.is_(None),
        )
        .order_by(Monitor.next_run_at)
        .limit(limit)
        .with_for_update(of=Monitor, skip_locked=True)
    )
    return list(await session.scalars(query))


async def move_next_run(
    session: AsyncSession, monitor_id: uuid.UUID, seen: datetime, next_run_at: datetime | None
) -> bool:
    """Moves a monitor's next run from `seen` to `next_run_at`; False when another
    scheduler moved it first (then it queued the period, and this one must not)."""
    result = await session.execute(
        update(Monitor)
        .where(Monitor.id == monitor_id, Monitor.next_run_at == seen)
        .values(next_run_at=next_run_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


def _claimable(now: datetime, max_attempts: int) -> object:
    return or_(
        and_(DigestRun.state == "queued", DigestRun.not_before <= now),
        and_(
            DigestRun.state == "running",
            DigestRun.lease_until < now,
            DigestRun.attempts < max_attempts,
        ),
    )


async def claim_runs(
    session: AsyncSession,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    max_attempts: int,
) -> list[uuid.UUID]:
    """Takes up to `limit` due runs (or runs whose worker's lease ran out) for
    `worker_id`, in one conditional UPDATE."""
    picked = picked_once(
        # Runs whose worker died first (few, and waiting longest), then due ones, each in
        # its index's order (see kit.db.picked_once).
        select(DigestRun.id)
        .where(
            DigestRun.state == "running",
            DigestRun.lease_until < now,
            DigestRun.attempts < max_attempts,
        )
        .order_by(DigestRun.lease_until),
        select(DigestRun.id)
        .where(DigestRun.state == "queued", DigestRun.not_before <= now)
        .order_by(DigestRun.not_before),
        limit=limit,
    )
    rows = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.id.in_(picked),
            _claimable(now, max_attempts),  # type: ignore[arg-type]
        )
        .values(
            state="running",
            claimed_by=worker_id,
            lease_until=now + lease,
            attempts=DigestRun.attempts + 1,
            updated_at=now,
        )
        .returning(DigestRun.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in rows.all()]


async def claim_run(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, now: datetime, lease: timedelta
) -> bool:
    """Takes one queued run (a person waits on it); False when a worker has it."""
    result = await session.execute(
        update(DigestRun)
        .where(DigestRun.id == run_id, DigestRun.state == "queued")
        .values(
            state="running",
            claimed_by=worker_id,
            lease_until=now + lease,
            attempts=DigestRun.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_up_abandoned_runs(session: AsyncSession, now: datetime, max_attempts: int) -> int:
    """Runs whose workers died `max_attempts` times: each try may have killed its worker,
    so they are failed rather than claimed forever."""
    result = await session.execute(
        update(DigestRun)
        .where(
            DigestRun.state == "running",
            DigestRun.lease_until < now,
            DigestRun.attempts >= max_attempts,
        )
        .values(
            state="failed",
            error="Gave up: the workers running it stopped before finishing, every time.",
            finished_at=now,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def run(session: AsyncSession, run_id: uuid.UUID) -> DigestRun | None:
    return await session.get(DigestRun, run_id, populate_existing=True)


async def run_in_org(
    session: AsyncSession, org_id: uuid.UUID, run_id: uuid.UUID
) -> DigestRun | None:
    return await session.scalar(
        select(DigestRun)
        .where(DigestRun.org_id == org_id, DigestRun.id == run_id)
        .execution_options(populate_existing=True)
    )


async def renew_leases(
    session: AsyncSession, worker_id: str, run_ids: list[uuid.UUID], until: datetime
) -> None:
    if not run_ids:
        return
    await session.execute(
        update(DigestRun)
        .where(
            DigestRun.id.in_(run_ids),
            DigestRun.claimed_by == worker_id,
            DigestRun.state == "running",
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )


async def release_runs(session: AsyncSession, worker_id: str, run_ids: list[uuid.UUID]) -> None:
    """Hands runs back to the queue (a worker stopping): another takes them at once."""
    if not run_ids:
        return
    await session.execute(
        update(DigestRun)
        .where(
            DigestRun.id.in_(run_ids),
            DigestRun.claimed_by == worker_id,
            DigestRun.state == "running",
        )
        .values(state="queued", claimed_by=None, lease_until=None, attempts=DigestRun.attempts - 1)
        .execution_options(synchronize_session=False)
    )


async def oldest_due_run(session: AsyncSession, now: datetime) -> datetime | None:
    oldest: datetime | None = await session.scalar(
        select(func.min(DigestRun.not_before)).where(
            DigestRun.state == "queued", DigestRun.not_before <= now
        )
    )
    return oldest


async def oldest_due_monitor(session: AsyncSession, now: datetime) -> datetime | None:
    """The oldest fire a worker would claim (`due_monitors`' conditions): a deleted org's
    monitors keep their past fire until restored or purged, and counting them would show
    queue lag, and raise its alert, for as long as the org waits."""
    oldest: datetime | None = await session.scalar(
        select(func.min(Monitor.next_run_at))
        .join(Org, Org.id == Monitor.org_id)
        .where(
            Monitor.next_run_at <= now,
            Monitor.deleted_at.is_(None),
            Monitor.paused.is_(False),
            Org.deleted_at.is_(None),
        )
    )
    return oldest


async def latest_runs(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DigestRun]:
    """Each monitor's newest run (for the monitor page's "last run")."""
    if not monitor_ids:
        return {}
    newest = (
        select(DigestRun.monitor_id, func.max(DigestRun.created_at).label("created_at"))
        .where(DigestRun.monitor_id.in_(monitor_ids))
        .group_by(DigestRun.monitor_id)
        .subquery()
    )
    rows = await session.scalars(
        select(DigestRun).join(
            newest,
            and_(
                newest.c.monitor_id == DigestRun.monitor_id,
                newest.c.created_at == DigestRun.created_at,
            ),
        )
    )
    return {row.monitor_id: row for row in rows}


# Heartbeats -----------------------------------------------------------------------------


async def beat(
    session: AsyncSession,
    worker_id: str,
    hostname: str,
    pid: int,
    started_at: datetime,
    now: datetime,
    counters: dict[str, int],
) -> None:
    result = await session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker_id)
        .values(seen_at=now, counters=counters)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                hostname=hostname,
                pid=pid,
                started_at=started_at,
                seen_at=now,
                counters=counters,
            )
        )
        await session.flush()


async def worker_counters(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Each known worker's counters, by worker id (workers silent for a day are gone)."""
    rows = await session.execute(
        select(WorkerHeartbeat.worker_id, WorkerHeartbeat.counters).order_by(
            WorkerHeartbeat.worker_id
        )
    )
    return {worker_id: counters or {} for worker_id, counters in rows}


async def forget_worker(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


async def last_heartbeat(session: AsyncSession) -> datetime | None:
    latest: datetime | None = await session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return latest


async def forget_silent_workers(session: AsyncSession, before: datetime) -> None:
    """Rows of workers gone for long (a crash leaves its row behind)."""
    await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < before))


async def open_runs(session: AsyncSession, monitor_id: uuid.UUID) -> list[DigestRun]:
    """The monitor's runs that are still queued or running, oldest first (a few)."""
    rows = await session.scalars(
        select(DigestRun)
        .where(DigestRun.monitor_id == monitor_id, DigestRun.state.in_(("queued", "running")))
        .order_by(DigestRun.created_at)
    )
    return list(rows)


async def disabled_channels_by_kind(session: AsyncSession) -> dict[str, int]:
    """Channels a permanent delivery error (or an admin) disabled, by kind, every org."""
    rows = await session.execute(
        select(Channel.kind, func.count())
        .where(Channel.disabled_at.is_not(None))
        .group_by(Channel.kind)
    )
    return {str(kind): int(count) for kind, count in rows.all()}
