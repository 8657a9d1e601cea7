"""AWS Lambda entry point: one `tick` per invocation (an EventBridge schedule calls it),
the serverless alternative to a worker service (deploy/aws).

Settings are read once per container, at cold start, from the environment and, with
INFRASYNC_SSM_PREFIX set, from SSM Parameter Store (`infrasync.config.load_settings`;
boto3 is imported there, only then). Each invocation gets its own event loop and engine:
an engine's connections belong to the loop that opened them.

The tick must end before Lambda kills the invocation, or claimed work stays claimed
until its lease runs out. So it works for the remaining time less what stopping takes:
the worker stops claiming at `max_seconds`, then gives what is in flight up to its grace
to finish, hands back the rest and beats a last time.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from infrasync.config import Settings, load_settings
from infrasync.scheduler.service import QueueFigures
from infrasync.scheduler.worker import Worker, WorkerOptions, WorkerStats

# What stopping needs besides the grace: handing back, the last beat, closing the engine.
RESERVE_SECONDS = 5.0
# Below this much working time a tick would claim and hand straight back: skip instead.
MIN_WORK_SECONDS = 1.0
# The share of a short invocation given to the grace and the reserve each, at most.
SHORT_SHARE = 0.1


class LambdaContext(Protocol):
    """The part of Lambda's context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Budget:
    max_seconds: float  # stop claiming after this
    grace_seconds: float  # then let what is in flight finish for at most this


def budget(remaining_ms: int, grace_seconds: float) -> Budget:
    """Splits the invocation's remaining time: working time, then the grace, then the
    reserve for stopping. A short invocation shrinks the grace and the reserve with it."""
    remaining = remaining_ms / 1000
    grace = min(grace_seconds, remaining * SHORT_SHARE)
    reserve = min(RESERVE_SECONDS, remaining * SHORT_SHARE)
    return Budget(max_seconds=remaining - grace - reserve, grace_seconds=grace)


@functools.cache
def cold_start_settings() -> Settings:
    """Read once per Lambda container (SSM included), as a process reads them at start."""
    return load_settings()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One tick within the invocation's remaining time; returns what it did (shown in
    the Lambda console and CloudWatch Logs)."""
    from infrasync.observability.logging import configure_logging

    settings = cold_start_settings()
    configure_logging(settings.effective_log_format)
    options = WorkerOptions()
    plan = budget(context.get_remaining_time_in_millis(), options.grace_seconds)
    if plan.max_seconds < MIN_WORK_SECONDS:
        return {"status": "skipped", "reason": "too little time left", **_plan(plan)}
    _require_current_schema(settings)
    stats = asyncio.run(_tick(settings, replace(options, grace_seconds=plan.grace_seconds), plan))
    delivered = sum(
        n for (_, outcome), n in stats.deliveries.outcomes.items() if outcome == "delivered"
    )
    return {
        "status": "ok",
        **_plan(plan),
        "periods_queued": stats.periods_queued,
        "digests_made": stats.digests_made,
        "runs_failed": stats.runs_failed,
        "deliveries_delivered": delivered,
        "delivery_retries": stats.deliveries.retries,
    }


def _plan(plan: Budget) -> dict[str, float]:
    return {
        "max_seconds": round(plan.max_seconds, 3),
        "grace_seconds": round(plan.grace_seconds, 3),
    }


# CloudWatch's embedded metric format: a JSON line in the function's log that CloudWatch
# turns into metrics, with no API call (deploy/aws alarms and scales workers on them).
METRICS_NAMESPACE = "Infrasync"


def publish_queue_metrics(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Each minute (an EventBridge rule): the queue's figures, read from the database as
    /metrics reads them, printed as one embedded-metric-format record. The heartbeat age
    is left out while no worker was ever seen: the alarm treats missing data as breaching."""
    settings = cold_start_settings()
    figures = asyncio.run(_queue_figures(settings))
    values = {
        "QueueLagSeconds": figures.queue_lag_seconds,
        "OldestUnsentDeliverySeconds": figures.oldest_unsent_seconds,
        "DisabledChannels": float(sum(figures.disabled_channels.values())),
    }
    if figures.heartbeat_age_seconds is not None:
        values["WorkerHeartbeatAgeSeconds"] = figures.heartbeat_age_seconds
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [["Service"]],
                    "Metrics": [
                        {"Name": name, "Unit": "Count" if name == "DisabledChannels" else "Seconds"}
                        for name in values
                    ],
                }
            ],
        },
        "Service": "infrasync",
        **values,
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return values


async def _queue_figures(settings: Settings) -> QueueFigures:
    from infrasync.db import create_engine_for, session_factory, session_scope
    from infrasync.scheduler import service as scheduler_service

    engine = create_engine_for(settings.effective_database_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            return await scheduler_service.figures(session)
    finally:
        await engine.dispose()


class SchemaNotCurrent(RuntimeError):
    """Workers never migrate: the deploy runs `infrasync migrate` first."""


def _require_current_schema(settings: Settings) -> None:
    from infrasync.db import current_revisions, head_revisions, sync_engine_for

    engine = sync_engine_for(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            current = current_revisions(connection)
    finally:
        engine.dispose()
    if current != head_revisions():
        raise SchemaNotCurrent(
            "The database schema is not current: run `infrasync migrate` (the deploy's "
            "one-off migration task) first."
        )


async def _tick(settings: Settings, options: WorkerOptions, plan: Budget) -> WorkerStats:
    from infrasync.db import create_engine_for, pool_size_for, session_factory

    engine = create_engine_for(
        settings.effective_database_url,
        pool_size=pool_size_for(settings.database_pool_size, concurrency=options.concurrency),
    )
    try:
        worker = Worker(settings, session_factory(engine), options)
        # No signal handlers: Lambda freezes or ends the process itself.
        return await worker.run(asyncio.Event(), once=True, max_seconds=plan.max_seconds)
    finally:
        await engine.dispose()
