"""The worker: one code path for `infrasync worker` (long-running), `infrasync tick` (one
pass within a time budget, for cron and AWS Lambda) and the in-process worker of `serve`.

Each round it beats its heartbeat (renewing the leases of what it holds), queues the
periods that came due, then claims runs and deliveries up to its concurrency and works
them as asyncio tasks: digests and deliveries wait on the network, not on the CPU, so a
few dozen in flight are what makes a thousand monitors fit in seconds.

Stopping (SIGTERM, or the end of a tick's budget): no new claims; what is in flight gets
a grace period to finish, and whatever is still running after it is cancelled and handed
back to the queue at once, rather than waiting for its lease to run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.billing import service as billing_service
from infrasync.compliance import service as compliance_service
from infrasync.config import Settings
from infrasync.db import session_scope
from infrasync.delivery import service as delivery_service
from infrasync.delivery.service import DeliveryCounters, DeliveryPolicy
from infrasync.kit.time import utcnow
from infrasync.scheduler import service
from infrasync.scheduler.service import RunPolicy

log = structlog.get_logger(__name__)

# The heartbeat's counters name a channel kind's outcome `deliveries:<kind>:<outcome>`
# (WorkerStats.as_counters; observability/worker_metrics.py reads them back).
DELIVERIES_PREFIX = "deliveries:"
# How often a worker purges (compliance.service.purge).
PURGE_INTERVAL = timedelta(days=1)


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 32
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 10.0
    grace_seconds: float = 20.0
    schedule_batch: int = 200
    runs: RunPolicy = field(default_factory=RunPolicy)
    deliveries: DeliveryPolicy = field(default_factory=DeliveryPolicy)


@dataclass
class WorkerStats:
    """What this worker did, for /metrics and for `tick`'s closing line."""

    digests_made: int = 0
    runs_failed: int = 0
    runs_skipped: int = 0
    periods_queued: int = 0
    deliveries: DeliveryCounters = field(default_factory=DeliveryCounters)
    last_beat: datetime | None = None

    def as_counters(self) -> dict[str, int]:
        """Flat, for the heartbeat row: `deliveries:<kind>:<outcome>` per channel kind."""
        counters = {
            "digests_made": self.digests_made,
            "runs_failed": self.runs_failed,
            "runs_skipped": self.runs_skipped,
            "delivery_retries": self.deliveries.retries,
        }
        for (kind, outcome), count in sorted(self.deliveries.outcomes.items()):
            counters[f"{DELIVERIES_PREFIX}{kind}:{outcome}"] = count
        return counters

    def count_run(self, state: str) -> None:
        if state == "done":
            self.digests_made += 1
        elif state == "failed":
            self.runs_failed += 1
        elif state == "skipped":
            self.runs_skipped += 1


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"[:100]


class Worker:
    def __init__(
        self,
        settings: Settings,
        factory: async_sessionmaker[AsyncSession],
        options: WorkerOptions | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or default_worker_id()
        self.stats = WorkerStats()
        self._started_at = utcnow()
        self._runs: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._deliveries: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._purge_due_at: datetime | None = None

    # The loop -----------------------------------------------------------------------

    async def run(
        self, stop: asyncio.Event, *, once: bool = False, max_seconds: float | None = None
    ) -> WorkerStats:
        """Works until `stop` is set or `max_seconds` have passed; `once` (a tick) also
        ends as soon as nothing is due and nothing is in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds if max_seconds is not None else None
        next_beat = 0.0
        try:
            while not stop.is_set():
                if loop.time() >= next_beat:
                    await self._guarded(self._beat)
                    next_beat = loop.time() + self.options.heartbeat_seconds
                if deadline is not None and loop.time() >= deadline:
                    break
                claimed = await self._guarded(self._claim_round) or 0
                if once and not claimed and not self._in_flight():
                    break  # a tick ends when the queue is empty
                await self._wait(stop, deadline)
        finally:
            await self._stop()
        return self.stats

    def wake(self) -> None:
        """New work was queued in this process (run now): look at once."""
        self._wake.set()

    async def _wait(self, stop: asyncio.Event, deadline: float | None) -> None:
        """Sleeps until a task finishes (a free slot), work is queued here, `stop` is set
        or the poll interval passes."""
        timeout = self.options.poll_seconds
        if deadline is not None:
            timeout = max(0.0, min(timeout, deadline - asyncio.get_running_loop().time()))
        waiters: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._wake.wait()),
        ]
        in_flight: list[asyncio.Future[Any]] = [*self._runs.values(), *self._deliveries.values()]
        if len(in_flight) >= self.options.concurrency:
            waiters = waiters[:1]  # full: only a finished task or `stop` can help
        await asyncio.wait([*waiters, *in_flight], timeout=timeout, return_when="FIRST_COMPLETED")
        for waiter in waiters:
            waiter.cancel()
        self._wake.clear()

    async def _guarded(self, step: Callable[[], Awaitable[int | None]]) -> int | None:
        """A database hiccup (a restart, a lock timeout) must not end the worker: the
        step is logged and tried again next round."""
        try:
            return await step()
        except Exception:
            log.exception("worker step failed; retrying next round", worker_id=self.worker_id)
            return None

    def _in_flight(self) -> int:
        return len(self._runs) + len(self._deliveries)

    async def _beat(self) -> None:
        async with session_scope(self.factory) as session:
            await self._beat_in(session)
            await service.renew(session, self.worker_id, list(self._runs), self.options.runs)
            await delivery_service.renew(
                session, self.worker_id, list(self._deliveries), self.options.deliveries
            )
        # Orgs whose past_due grace ran out go to free (their newest monitors beyond the
        # limit paused), whether or not any event arrives.
        async with session_scope(self.factory) as session:
            await billing_service.end_lapsed_graces(session, self.settings, utcnow())
        await self._purge_when_due()
        self.stats.last_beat = utcnow()

    async def _purge_when_due(self) -> None:
        """Once a day (and at start): what was soft-deleted longer ago than the retention
        period goes for good, and digests beyond their plan's history. Any number of
        workers may do it: a second purge finds nothing. The next one is due a day on
        even if this one fails, so a broken purge is logged daily, not every beat."""
        now = utcnow()
        if self._purge_due_at is not None and now < self._purge_due_at:
            return
        self._purge_due_at = now + PURGE_INTERVAL
        async with session_scope(self.factory) as session:
            await compliance_service.purge(session, self.settings, now)

    async def _beat_in(self, session: AsyncSession) -> None:
        await service.beat(
            session,
            self.worker_id,
            socket.gethostname(),
            os.getpid(),
            self._started_at,
            self.stats.as_counters(),
        )

    async def _claim_round(self) -> int:
        async with session_scope(self.factory) as session:
            self.stats.periods_queued += await service.queue_due(
                session, utcnow(), self.options.schedule_batch
            )
        claimed = 0
        free = self.options.concurrency - self._in_flight()
        if free > 0:
            async with session_scope(self.factory) as session:
                run_ids = await service.claim(session, self.worker_id, self.options.runs, free)
            for run_id in run_ids:
                self._runs[run_id] = asyncio.create_task(self._work_run(run_id))
            claimed += len(run_ids)
        free = self.options.concurrency - self._in_flight()
        if free > 0:
            async with session_scope(self.factory) as session:
                delivery_ids = await delivery_service.claim(
                    session, self.worker_id, self.options.deliveries, free
                )
            for delivery_id in delivery_ids:
                self._deliveries[delivery_id] = asyncio.create_task(
                    self._work_delivery(delivery_id)
                )
            claimed += len(delivery_ids)
        return claimed

    # The work -----------------------------------------------------------------------

    async def _work_run(self, run_id: uuid.UUID) -> None:
        try:
            async with session_scope(self.factory) as session:
                state = await service.process(
                    session, self.settings, run_id, self.worker_id, self.options.runs
                )
            self.stats.count_run(state)
            if state == "done":
                self._wake.set()  # its deliveries are due now
        except Exception:
            # The lease runs out and another try takes it; the bound on attempts keeps a
            # run that always fails from going round forever.
            log.exception("digest run crashed", run_id=str(run_id), worker_id=self.worker_id)
        finally:
            self._runs.pop(run_id, None)

    async def _work_delivery(self, delivery_id: uuid.UUID) -> None:
        try:
            async with session_scope(self.factory) as session:
                await delivery_service.send(
                    session,
                    self.settings,
                    delivery_id,
                    self.worker_id,
                    self.options.deliveries,
                    self.stats.deliveries,
                )
        except Exception:
            log.exception(
                "delivery crashed", delivery_id=str(delivery_id), worker_id=self.worker_id
            )
        finally:
            self._deliveries.pop(delivery_id, None)

    # Stopping -----------------------------------------------------------------------

    async def _stop(self) -> None:
        in_flight = [*self._runs.values(), *self._deliveries.values()]
        if in_flight:
            log.info("worker stopping; finishing what it holds", tasks=len(in_flight))
            await asyncio.wait(in_flight, timeout=self.options.grace_seconds)
        run_ids, delivery_ids = list(self._runs), list(self._deliveries)
        for task in [*self._runs.values(), *self._deliveries.values()]:
            task.cancel()
        for task in in_flight:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            async with session_scope(self.factory) as session:
                await service.release(session, self.worker_id, run_ids)
                await delivery_service.release(session, self.worker_id, delivery_ids)
                # A last beat, with the final counts: a tick is often over before its
                # second. The row stays: a tick on cron is a worker seen minutes ago,
                # not one that never was (rows silent for a day are swept by `beat`).
                await self._beat_in(session)
        if run_ids or delivery_ids:
            log.info(
                "worker handed back unfinished work",
                runs=len(run_ids),
                deliveries=len(delivery_ids),
            )
