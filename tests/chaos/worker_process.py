"""A worker process for the chaos test: the real `Worker`, as `infrasync worker` runs it,
with leases, heartbeats and backoff short enough that a killed worker's work comes back
within seconds rather than minutes.

    python -m tests.chaos.worker_process --lease 4 --heartbeat 0.5 --backoff-base 0.2

Settings (the database, the keys, the local source roots, the delivery timeout) come
from the INFRASYNC_* environment, as for the CLI. SIGTERM stops it the usual way; the
chaos test mostly stops it with SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from infrasync.config import load_settings
from infrasync.db import create_engine_for, session_factory
from infrasync.delivery.service import DeliveryPolicy
from infrasync.observability.logging import configure_logging
from infrasync.scheduler.service import RunPolicy
from infrasync.scheduler.worker import Worker, WorkerOptions


def options_from(arguments: argparse.Namespace) -> WorkerOptions:
    lease = timedelta(seconds=arguments.lease)
    return WorkerOptions(
        concurrency=arguments.concurrency,
        poll_seconds=arguments.poll,
        heartbeat_seconds=arguments.heartbeat,
        grace_seconds=1.0,
        runs=RunPolicy(
            lease=lease,
            max_attempts=arguments.max_attempts,
            retry_delays=(timedelta(seconds=arguments.backoff_base),) * 3,
        ),
        deliveries=DeliveryPolicy(
            max_attempts=arguments.max_attempts,
            backoff_base=timedelta(seconds=arguments.backoff_base),
            backoff_cap=timedelta(seconds=arguments.backoff_cap),
            lease=lease,
        ),
    )


async def work(options: WorkerOptions) -> None:
    settings = load_settings()
    configure_logging(settings.effective_log_format)
    engine = create_engine_for(settings.effective_database_url)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await Worker(settings, session_factory(engine), options).run(stop)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lease", type=float, default=4.0, help="seconds")
    parser.add_argument("--heartbeat", type=float, default=0.5, help="seconds")
    parser.add_argument("--poll", type=float, default=0.2, help="seconds")
    parser.add_argument("--backoff-base", type=float, default=0.2, help="seconds")
    parser.add_argument("--backoff-cap", type=float, default=2.0, help="seconds")
    parser.add_argument("--max-attempts", type=int, default=30)
    asyncio.run(work(options_from(parser.parse_args())))


if __name__ == "__main__":
    main()
