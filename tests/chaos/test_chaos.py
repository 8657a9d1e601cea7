"""Chaos: two worker processes on one Postgres, 200 monitors due at once, receivers that
fail 30% of requests (5xx, 429 with a short Retry-After, answers slower than the
delivery timeout), and a worker killed with SIGKILL at random moments, again and again.

What must hold at the end, as a user would see it:
- every due period has exactly one digest (and one finished run);
- every channel received every message of that digest at least once;
- no channel received a period twice, except where a worker died between the
  receiver's 2xx and the commit that records it. Those are counted and printed; each must
  belong to a delivery that was claimed more often than it has attempts recorded (a
  claim that ended with its worker).

Run it alone with `pytest -m chaos -s`. It needs Postgres (INFRASYNC_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.config import Settings
from infrasync.db import create_engine_for, session_factory
from infrasync.delivery import transports
from infrasync.delivery.service import with_permalink
from infrasync.digests.document import digest_of_record
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.kit.urls import normalize_database_url
from infrasync.models import (
    Delivery,
    DeliveryAttempt,
    DigestRecord,
    DigestRun,
    Monitor,
    WorkerHeartbeat,
)
from infrasync.renderers import discord as discord_renderer
from infrasync.renderers import slack as slack_renderer
from tests.chaos.world import ChannelSpec, SeededMonitor, Source, add_due_monitors
from tests.conftest import POSTGRES_MISSING
from tests.databases import PostgresDatabases, postgres_admin_url
from tests.digests.test_digest_cli import git
from tests.factories import make_org
from tests.fakes.chat_receivers import (
    ChatReceiver,
    DiscordReceiver,
    RateLimited,
    Received,
    ServerError,
    SlackReceiver,
    Slow,
    WebhookReceiver,
)

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.skipif(postgres_admin_url() is None, reason=POSTGRES_MISSING),
    # A guard against a hang, not a speed check: the run takes about a minute.
    pytest.mark.timeout(240),
]

SEED = 20261105
MONITORS = 200
KILLS = 10
FAILURE_RATE = 0.3
# Short enough that a "slow" answer is a timeout within the test's time, long enough
# that a prompt answer on a busy machine never is one (a 2xx the worker gave up on
# would be a duplicate no death explains).
DELIVERY_TIMEOUT = 3.0
# A lease of a few seconds (a killed worker's work comes back that soon), renewed every
# half second: a loaded machine can stall a worker's loop for a second or two, never
# for a whole lease. Retries after 0.2 s and up.
WORKER_ARGUMENTS = (
    "--concurrency=6",
    "--lease=8",
    "--heartbeat=0.5",
    "--poll=0.2",
    "--backoff-base=0.2",
    "--backoff-cap=2",
    "--max-attempts=40",
)
FAILURES = (
    ServerError(500),
    ServerError(503),
    RateLimited(0.3),
    # Answers after the worker gave up, and then with an error: a timeout must never
    # count as a delivery the receiver took.
    Slow(seconds=DELIVERY_TIMEOUT * 2, then=ServerError(504)),
)
SETTLE_SECONDS = 75.0  # after the last kill, for the retries and lease expiries to end
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


# The world: a repository, receivers, monitors ---------------------------------------------


def small_repository(path: Path) -> Path:
    """A few commits in the last day, so each digest has something to say."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    now = int(time.time())
    for number in range(4):
        when = f"@{now - 3600 * (2 + 4 * number)} +0000"
        (path / f"file{number}.txt").write_text(f"change {number}\n")
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", f"Change number {number}", when=when)
    return path


@dataclass
class Receivers:
    slack: SlackReceiver
    discord: DiscordReceiver
    webhook: WebhookReceiver

    def of(self, kind: str) -> ChatReceiver:
        receiver: ChatReceiver = getattr(self, kind)
        return receiver

    def channel(self, rng: random.Random) -> ChannelSpec:
        kind = rng.choice(("slack", "discord", "webhook"))
        if kind == "slack":
            return ChannelSpec("slack", self.slack.webhook_url())
        if kind == "discord":
            return ChannelSpec("discord", self.discord.webhook_url())
        secret = transports.new_signing_secret()
        return ChannelSpec("webhook", self.webhook.endpoint(secret), secret)

    def accepted(self, spec: ChannelSpec) -> list[Received]:
        receiver = self.of(spec.kind)
        return receiver.accepted(spec.url.removeprefix(receiver.base_url))


@contextmanager
def failing_receivers() -> Iterator[Receivers]:
    def failing(n: int) -> dict[str, Any]:
        return {"failure_rate": FAILURE_RATE, "failures": FAILURES, "seed": SEED + n}

    with ExitStack() as stack:
        yield Receivers(
            slack=stack.enter_context(SlackReceiver(**failing(0)).serving()),
            discord=stack.enter_context(DiscordReceiver(**failing(1)).serving()),
            webhook=stack.enter_context(WebhookReceiver(**failing(2)).serving()),
        )


async def seed(
    factory: async_sessionmaker[AsyncSession], key: str, repository: Path, receivers: Receivers
) -> list[SeededMonitor]:
    rng = random.Random(SEED)
    async with factory() as session:
        org = await make_org(session, "Chaos", CHAOS_SLUG)
        seeded = await add_due_monitors(
            session,
            SecretBox.from_keys([key]),
            org.id,
            Source(str(repository), "git"),
            MONITORS,
            lambda _: [receivers.channel(rng) for _ in range(rng.choice((1, 2)))],
        )
        await session.commit()
    return seeded


# The workers ------------------------------------------------------------------------------


@dataclass
class WorkerProcesses:
    """Two worker processes, restarted each time one is killed; their output goes to
    files, shown when the test fails."""

    environment: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0

    def start(self, slot: int) -> None:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.chaos.worker_process", *WORKER_ARGUMENTS],
            env=self.environment,
            cwd=self.logs,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if slot < len(self.processes):
            self.processes[slot] = process
        else:
            self.processes.append(process)

    def kill(self, slot: int) -> None:
        process = self.processes[slot]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def crashed(self) -> list[int]:
        """Exit codes of workers that ended by themselves (none should)."""
        return [code for p in self.processes if (code := p.poll()) is not None]

    def tail(self, lines: int = 40) -> str:
        shown = []
        for path in sorted(self.logs.glob("worker-*.log"))[-3:]:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            shown.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(shown)


def worker_environment(database_url: str, key: str, roots: Path) -> dict[str, str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("INFRASYNC_")
    }
    environment.update(
        PYTHONPATH=str(REPOSITORY_ROOT),
        INFRASYNC_DATABASE_URL=database_url,
        INFRASYNC_SECRET_KEY="chaos-" + "s" * 40,
        INFRASYNC_ENCRYPTION_KEYS=key,
        INFRASYNC_LOCAL_SOURCE_ROOTS=str(roots),
        INFRASYNC_ALLOW_PRIVATE_WEBHOOKS="true",
        INFRASYNC_DELIVERY_TIMEOUT_SECONDS=str(DELIVERY_TIMEOUT),
        INFRASYNC_GITHUB_API_URL="http://127.0.0.1:9",
        INFRASYNC_LOG_FORMAT="json",
    )
    return environment


async def live_worker_id(factory: async_sessionmaker[AsyncSession], pid: int) -> str | None:
    async with factory() as session:
        found: str | None = await session.scalar(
            select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.pid == pid)
        )
        return found


async def held_by(factory: async_sessionmaker[AsyncSession], worker_id: str) -> int:
    async with factory() as session:
        runs = await session.scalar(
            select(func.count())
            .select_from(DigestRun)
            .where(DigestRun.claimed_by == worker_id, DigestRun.state == "running")
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.claimed_by == worker_id, Delivery.state == "sending")
        )
        return int(runs or 0) + int(deliveries or 0)


async def working(factory: async_sessionmaker[AsyncSession], worker_id: str) -> bool:
    """Waits a little (at most 2 s) for the worker to hold claimed work, so that a kill
    lands mid-work even on a machine fast enough to finish between two kills."""
    deadline = time.monotonic() + 2.0
    while not await held_by(factory, worker_id):
        if time.monotonic() >= deadline or not await open_work(factory):
            return False
        await asyncio.sleep(0.05)
    return True


async def kill_again_and_again(
    factory: async_sessionmaker[AsyncSession], workers: WorkerProcesses, rng: random.Random
) -> int:
    """SIGKILLs a worker KILLS times, each at a random moment after it is up (its
    heartbeat is in the database), and starts another in its place. The victim is one of
    the workers that are up, at random, so one restarts while the other works. Returns
    how many of the kills hit a worker that held claimed work."""
    holding = 0
    for _ in range(KILLS):
        up = await workers_up(factory, workers)
        slot = rng.choice(sorted(up))
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        holding += await working(factory, up[slot])
        workers.kill(slot)
        workers.start(slot)
    return holding


async def workers_up(
    factory: async_sessionmaker[AsyncSession], workers: WorkerProcesses
) -> dict[int, str]:
    """{slot: worker id} of the workers that have beaten, once there is one."""
    deadline = time.monotonic() + 30
    while True:
        up = {}
        for slot, process in enumerate(workers.processes):
            worker_id = await live_worker_id(factory, process.pid)
            if worker_id is not None:
                up[slot] = worker_id
        if up:
            return up
        assert time.monotonic() < deadline, f"no worker came up\n{workers.tail()}"
        await asyncio.sleep(0.1)


async def open_work(factory: async_sessionmaker[AsyncSession]) -> int:
    """Periods not yet queued, runs not finished, deliveries not delivered or failed."""
    async with factory() as session:
        due = await session.scalar(
            select(func.count()).select_from(Monitor).where(Monitor.next_run_at <= utcnow())
        )
        runs = await session.scalar(
            select(func.count())
            .select_from(DigestRun)
            .where(DigestRun.state.in_(("queued", "running")))
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.state.in_(("pending", "sending")))
        )
        return int(due or 0) + int(runs or 0) + int(deliveries or 0)


async def settle(factory: async_sessionmaker[AsyncSession], workers: WorkerProcesses) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while (left := await open_work(factory)) > 0:
        assert not workers.crashed(), f"a worker exited by itself\n{workers.tail()}"
        assert time.monotonic() < deadline, f"{left} items still open\n{workers.tail()}"
        await asyncio.sleep(0.25)


# What the receivers got -------------------------------------------------------------------

CHAOS_SLUG = "chaos"


def expected_parts(spec: ChannelSpec, record: DigestRecord) -> list[bytes]:
    """The exact bodies the transport posts for this digest (Slack and Discord)."""
    renderer = slack_renderer if spec.kind == "slack" else discord_renderer
    # As the workers send it: ending with its permalink (their PUBLIC_URL is the default).
    page = f"{Settings.model_fields['public_url'].default}/orgs/{CHAOS_SLUG}/digests/{record.id}"
    digest = with_permalink(digest_of_record(record), page)
    return [json.dumps(m).encode() for m in renderer.messages(digest)]


def receipts_of(
    spec: ChannelSpec, record: DigestRecord, delivery: Delivery, got: list[Received]
) -> Counter[str]:
    """How many times the receiver took each part of the digest (its key: the body, or
    for a webhook its webhook-id). Anything else it took is a wrong delivery."""
    if spec.kind == "webhook":
        expected = [f"msg_{delivery.id.hex}"]
        taken = Counter(r.headers.get("webhook-id", "") for r in got)
        for received in got:
            assert received.json()["digest_id"] == str(record.id)
    else:
        expected = [part.decode() for part in expected_parts(spec, record)]
        taken = Counter(r.body.decode() for r in got)
    assert set(taken) <= set(expected), f"{spec.kind} took a message of another digest"
    return Counter({key: taken[key] for key in expected})


@dataclass
class Verdict:
    duplicates: int = 0
    duplicated_deliveries: list[uuid.UUID] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


async def verdict(
    session: AsyncSession, seeded: list[SeededMonitor], receivers: Receivers
) -> Verdict:
    found = Verdict()
    digests = {d.monitor_id: d for d in await session.scalars(select(DigestRecord))}
    deliveries = {(d.digest_id, d.channel_id): d for d in await session.scalars(select(Delivery))}
    for monitor in seeded:
        record = digests[monitor.id]
        for channel_id, spec in monitor.channels:
            delivery = deliveries[(record.id, channel_id)]
            taken = receipts_of(spec, record, delivery, receivers.accepted(spec))
            found.missing += [f"{spec.kind} {channel_id}" for part, n in taken.items() if n == 0]
            extra = sum(n - 1 for n in taken.values() if n > 1)
            if extra:
                found.duplicates += extra
                found.duplicated_deliveries.append(delivery.id)
    return found


async def attempts_recorded(session: AsyncSession) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(DeliveryAttempt.delivery_id, func.count()).group_by(DeliveryAttempt.delivery_id)
    )
    return {delivery_id: count for delivery_id, count in rows.all() if delivery_id is not None}


# The test ---------------------------------------------------------------------------------


async def test_killed_workers_lose_no_digest_and_send_twice_only_what_a_death_left_unrecorded(
    postgres_databases: PostgresDatabases,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    name, url = postgres_databases.fresh()
    database_url = normalize_database_url(url)
    engine = create_engine_for(database_url)
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    rng = random.Random(SEED)
    repository = small_repository(tmp_path / "repos" / "service")
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = WorkerProcesses(worker_environment(database_url, key, tmp_path / "repos"), logs)
    try:
        with failing_receivers() as receivers:
            seeded = await seed(factory, key, repository, receivers)
            started = time.monotonic()
            workers.start(0)
            workers.start(1)
            try:
                holding = await kill_again_and_again(factory, workers, rng)
                killing = time.monotonic() - started
                await settle(factory, workers)
            finally:
                workers.stop_all()
            seconds = time.monotonic() - started

            async with factory() as session:
                runs = list(await session.scalars(select(DigestRun)))
                digests = list(await session.scalars(select(DigestRecord)))
                deliveries = list(await session.scalars(select(Delivery)))
                found = await verdict(session, seeded, receivers)
                recorded = await attempts_recorded(session)
            requests = sum(len(receivers.of(k).requests()) for k in ("slack", "discord", "webhook"))
    finally:
        await engine.dispose()
        postgres_databases.drop(name)

    channels = sum(len(m.channels) for m in seeded)
    summary = (
        f"chaos: {MONITORS} monitors, {channels} channels, {requests} requests "
        f"({FAILURE_RATE:.0%} failing), {KILLS} SIGKILLs ({holding} while holding work), "
        f"{found.duplicates} duplicate(s) from a worker dying between the 2xx and the "
        f"commit, in {seconds:.0f} s ({killing:.0f} s of killing)"
    )
    print(summary)
    # Shown at the end of every run, xdist's included (tests/conftest.py).
    request.node.user_properties.append(("shown", summary))

    # Every due period: exactly one digest, and one run that finished with it.
    assert sorted(d.monitor_id for d in digests) == sorted(m.id for m in seeded)
    assert Counter(r.state for r in runs) == {"done": MONITORS}, Counter(r.state for r in runs)
    assert len({(d.monitor_id, d.period_since, d.period_until) for d in digests}) == MONITORS
    # Every channel: delivered, and the receiver took every part at least once.
    assert Counter(d.state for d in deliveries) == {"delivered": channels}
    assert found.missing == []
    # A duplicate only where a claim ended with no attempt recorded: its worker died
    # after sending and before the commit.
    attempts = {d.id: d.attempts for d in deliveries}
    unexplained = [d for d in found.duplicated_deliveries if attempts[d] <= recorded.get(d, 0)]
    assert unexplained == [], "duplicates that no dead worker explains"
    assert holding >= KILLS // 2, "most kills must land while the worker holds work"
