"""The queue in /metrics, read from the database at scrape time, so it is true whichever
process works the queue (`serve`, `worker`s or `tick`s): the gauges, and each worker's
counters as of its last heartbeat (every 10 s, and when it stops)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.db import session_scope
from infrasync.delivery.schemas import ChannelKind
from infrasync.scheduler import service as scheduler_service
from infrasync.scheduler.worker import DELIVERIES_PREFIX


class _WorkerCounters(Collector):
    """Counters labelled by worker: a restarted worker is a new id, so its counts start
    a new series rather than going backwards (which Prometheus reads as a reset anyway)."""

    def __init__(self) -> None:
        self.by_worker: dict[str, dict[str, int]] = {}

    def collect(self) -> Iterator[Metric]:
        digests = CounterMetricFamily(
            "infrasync_digests_made",
            "Digests made (scheduled or run now), by worker.",
            labels=["worker"],
        )
        deliveries = CounterMetricFamily(
            "infrasync_delivery_attempts",
            "Delivery attempts by worker, channel kind and outcome (delivered, pending = to "
            "retry, failed).",
            labels=["worker", "kind", "outcome"],
        )
        retries = CounterMetricFamily(
            "infrasync_delivery_retries",
            "Delivery attempts that will be tried again, by worker.",
            labels=["worker"],
        )
        for worker, counters in sorted(self.by_worker.items()):
            digests.add_metric([worker], counters.get("digests_made", 0))
            retries.add_metric([worker], counters.get("delivery_retries", 0))
            for name, count in sorted(counters.items()):
                if name.startswith(DELIVERIES_PREFIX):
                    kind, _, outcome = name.removeprefix(DELIVERIES_PREFIX).partition(":")
                    deliveries.add_metric([worker, kind, outcome], count)
        yield from (digests, deliveries, retries)


class WorkerMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        factory: async_sessionmaker[AsyncSession],
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
        self.channels_disabled = Gauge(
            "infrasync_channels_disabled",
            "Channels disabled by a permanent delivery error or an admin, by kind (every "
            "org); a rise means receivers were removed or misconfigured.",
            ["kind"],
            registry=registry,
        )
        self._counters = _WorkerCounters()
        registry.register(self._counters)

    async def refresh(self) -> None:
        async with session_scope(self._factory) as session:
            figures = await scheduler_service.figures(session)
            self._counters.by_worker = await scheduler_service.worker_counters(session)
        self.queue_lag.set(figures.queue_lag_seconds)
        self.oldest_unsent.set(figures.oldest_unsent_seconds)
        age = figures.heartbeat_age_seconds
        self.heartbeat_age.set(-1 if age is None else age)
        # Every kind, 0 included: an alert on a rise needs the series before the first one.
        for kind in get_args(ChannelKind):
            self.channels_disabled.labels(kind).set(figures.disabled_channels.get(kind, 0))


def register_worker_metrics(
    registry: CollectorRegistry, factory: async_sessionmaker[AsyncSession]
) -> WorkerMetrics:
    return WorkerMetrics(registry, factory)
