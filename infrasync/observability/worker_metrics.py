"""The queue in /metrics: gauges read from the database at scrape time (so they are true
whichever process works the queue: `serve`, `worker`s or `tick`s), and the counters of
this process's in-process worker, when it has one."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.db import session_scope
from infrasync.scheduler import service as scheduler_service
from infrasync.scheduler.worker import Worker


class _WorkerCounters(Collector):
    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def collect(self) -> Iterator[Metric]:
        stats = self._worker.stats
        digests = CounterMetricFamily(
            "infrasync_digests_made", "Digests this process's worker made (scheduled or run now)."
        )
        digests.add_metric([], stats.digests_made)
        yield digests
        deliveries = CounterMetricFamily(
            "infrasync_delivery_attempts",
            "Delivery attempts by channel kind and outcome (delivered, pending = to retry, "
            "failed).",
            labels=["kind", "outcome"],
        )
        for (kind, outcome), count in sorted(stats.deliveries.outcomes.items()):
            deliveries.add_metric([kind, outcome], count)
        yield deliveries
        retries = CounterMetricFamily(
            "infrasync_delivery_retries", "Delivery attempts that will be tried again."
        )
        retries.add_metric([], stats.deliveries.retries)
        yield retries


class WorkerMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        factory: async_sessionmaker[AsyncSession],
        worker: Worker | None,
    ) -> None:
        self._factory = factory
        self.queue_lag = Gauge(
            "infrasync_queue_lag_seconds",
            "Now minus the oldest due item (a monitor's next run, a queued run or a pending "
            "delivery); 0 when nothing is waiting.",
            registry=registry,
        )
        self.oldest_unsent = Gauge(
            "infrasync_oldest_unsent_delivery_seconds",
            "Age of the oldest delivery not yet delivered (0 when none).",
            registry=registry,
        )
        self.heartbeat_age = Gauge(
            "infrasync_worker_heartbeat_age_seconds",
            "Seconds since any worker was last seen; -1 when none has been.",
            registry=registry,
        )
        if worker is not None:
            registry.register(_WorkerCounters(worker))

    async def refresh(self) -> None:
        async with session_scope(self._factory) as session:
            figures = await scheduler_service.figures(session)
        self.queue_lag.set(figures.queue_lag_seconds)
        self.oldest_unsent.set(figures.oldest_unsent_seconds)
        age = figures.heartbeat_age_seconds
        self.heartbeat_age.set(-1 if age is None else age)


def register_worker_metrics(
    registry: CollectorRegistry,
    factory: async_sessionmaker[AsyncSession],
    worker: Worker | None,
) -> WorkerMetrics:
    return WorkerMetrics(registry, factory, worker)
