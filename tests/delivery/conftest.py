"""A local git repository to make digests from, receivers to deliver them to, and a
worker that runs one pass of the queue the way `infrasync tick` does."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from infrasync.delivery.service import DeliveryPolicy
from infrasync.models import Delivery
from infrasync.scheduler.service import RunPolicy
from infrasync.scheduler.worker import Worker, WorkerOptions, WorkerStats
from tests.digests.test_digest_cli import git
from tests.fakes.chat_receivers import DiscordReceiver, SlackReceiver, WebhookReceiver

# Fixed, not generated: the CLI tests' processes must open what the app sealed, and
# pytest may import this module twice (as a conftest and by name).
ENCRYPTION_KEY = base64.urlsafe_b64encode(b"infrasync tests: delivery key 32").decode()
RunWorker = Callable[..., Awaitable[WorkerStats]]


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {
        "local_source_roots": (tmp_path,),
        "encryption_keys": ENCRYPTION_KEY,
        "allow_private_webhooks": True,
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for number, when in enumerate(["2026-11-03T10:00:00Z", "2026-11-04T10:00:00Z"]):
        (path / f"f{number}").write_text(str(number))
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", f"Step {number}", when=when)
    return path


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver().serving() as receiver:
        yield receiver


@pytest.fixture
def discord() -> Iterator[DiscordReceiver]:
    with DiscordReceiver().serving() as receiver:
        yield receiver


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().serving() as receiver:
        yield receiver


# Quick retries: a transient failure is tried again within the same pass.
QUICK = WorkerOptions(
    concurrency=8,
    poll_seconds=0.05,
    heartbeat_seconds=5.0,
    grace_seconds=10.0,
    runs=RunPolicy(retry_delays=()),
    deliveries=DeliveryPolicy(
        max_attempts=4,
        backoff_base=timedelta(milliseconds=10),
        backoff_cap=timedelta(milliseconds=50),
    ),
)


@pytest.fixture
def run_worker(app: FastAPI) -> RunWorker:
    """One pass of the queue (as `tick`): returns when nothing is due or in flight."""

    async def run(options: WorkerOptions = QUICK, max_seconds: float = 60.0) -> WorkerStats:
        """Passes until no delivery waits for a retry (QUICK's backoff is milliseconds;
        a pass ends when nothing is due at that moment, as a tick on cron does)."""
        total = WorkerStats()
        for _ in range(200):
            worker = Worker(app.state.settings, app.state.session_factory, options)
            stats = await worker.run(asyncio.Event(), once=True, max_seconds=max_seconds)
            total.digests_made += stats.digests_made
            total.periods_queued += stats.periods_queued
            for key, count in stats.deliveries.outcomes.items():
                total.deliveries.outcomes[key] = total.deliveries.outcomes.get(key, 0) + count
            total.deliveries.retries += stats.deliveries.retries
            if not await _retries_waiting(app):
                return total
            await asyncio.sleep(0.02)
        raise AssertionError("deliveries were still waiting for a retry after 200 passes")

    return run


async def _retries_waiting(app: FastAPI) -> bool:
    async with app.state.session_factory() as session:
        waiting = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "pending")
        )
    return bool(waiting)


async def make_monitor(
    http: httpx.AsyncClient, source: Path, **fields: object
) -> dict[str, object]:
    response = await http.post(
        "/api/orgs/acme/monitors", json={"source": str(source), "writer": "builtin", **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def make_channel(http: httpx.AsyncClient, **fields: object) -> dict[str, object]:
    response = await http.post("/api/orgs/acme/channels", json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body
