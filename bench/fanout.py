"""How fast due monitors become delivered digests, what one digest costs, how fast the
claim is on a big table, and how much memory a worker keeps.

    .venv/bin/python -m bench.fanout                  # every part, full sizes
    .venv/bin/python -m bench.fanout --part a --monitors 200
    .venv/bin/python -m bench.fanout --postgres-url postgresql://postgres@127.0.0.1/test

a) 1,000 due monitors, one worker (`infrasync tick`) on SQLite, against a fake GitHub
   and a fake Slack that each add 50 ms to every answer. Target <= 10 s.
b) 10,000 due monitors, two `infrasync worker` processes on Postgres. Target <= 90 s;
   and the workers' CPU seconds per digest (its delivery included), the cost of one
   digest apart from the waiting.
c) The claim statements' median and p99 at 100,000 monitors on Postgres (1% due, a day
   of history: 100,000 finished runs and delivered deliveries), then with every run and
   delivery due at once (09:00 on a Monday), each in a transaction rolled back, timed
   as the driver sees them. Target p99 < 5 ms; their plans (EXPLAIN ANALYZE) go to
   stderr and must use an index.
d) One `infrasync worker`'s peak RSS over 10 rounds of 1,000 due monitors (on Postgres
   when given one, else SQLite). Target <= 300 MB, and flat (the last round no bigger
   than the second).

Monitors are spread over orgs of 10, each with its own GitHub token, as on a real server
(GitHub allows a token only a few requests at once). Postgres parts need --postgres-url
(or INFRASYNC_TEST_DATABASE_URL); without it they are skipped. One line of figures goes
to stdout; progress and plans to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.arguments import parser_from_docstring
from infrasync.db import create_engine_for, session_factory, upgrade_to_head
from infrasync.delivery import repository as delivery_repository
from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.kit.urls import normalize_database_url
from infrasync.models import Delivery, DigestRecord, DigestRun, Monitor
from infrasync.scheduler import repository as scheduler_repository
from tests.chaos.world import ChannelSpec, Source, add_due_monitors, last_daily_fire
from tests.databases import PostgresDatabases
from tests.factories import make_org
from tests.fakes.chat_receivers import SlackReceiver
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeWorld, generate_repo
from tests.fakes.http_server import serve_in_thread

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
MONITORS_PER_ORG = 10
SIZES = {"a": 1_000, "b": 10_000, "c": 100_000, "d": 1_000}
TARGETS = {"a": 10.0, "b": 90.0, "c": 5.0, "d": 300.0}
STALL_SECONDS = 20.0
BYTECODE_CACHE = Path(tempfile.gettempdir()) / "infrasync-bench-bytecode"


def say(message: str) -> None:
    print(f"fanout: {message}", file=sys.stderr, flush=True)


# The fakes --------------------------------------------------------------------------------


@dataclass
class Fakes:
    github: FakeGitHubAPI
    slack: SlackReceiver


@contextmanager
def serving_fakes(latency: float) -> Iterator[Fakes]:
    """The fake GitHub with one small repository (acme/app, a week of activity around
    the monitors' period) and a fake Slack, both adding `latency` to every answer."""
    _, fire = last_daily_fire(utcnow())
    world = FakeWorld()
    generate_repo(world, "acme", "app", fire - timedelta(days=7), fire, per_kind=5)
    github = FakeGitHubAPI(world=world, latency=latency)
    with ExitStack() as stack:
        github.base_url = stack.enter_context(serve_in_thread(github.app()))
        slack = stack.enter_context(SlackReceiver(latency=latency).serving())
        yield Fakes(github, slack)


# The world ---------------------------------------------------------------------------------


async def add_world(
    factory: async_sessionmaker[AsyncSession], key: str, fakes: Fakes, monitors: int
) -> datetime:
    """`monitors` due GitHub monitors of acme/app in orgs of MONITORS_PER_ORG, each org
    with its own token; one Slack channel each. Returns the moment their schedule was
    set from (see world.last_daily_fire)."""
    box = SecretBox.from_keys([key])
    now = utcnow()
    async with factory() as session:
        for first in range(0, monitors, MONITORS_PER_ORG):
            org = await make_org(session, f"Org {first}", slug=f"org-{first}")
            token = fakes.github.add_token("ghp_" + secrets.token_hex(18))
            stored = await store_github_token(
                session, box, token=token, scopes="repo", org_id=org.id
            )
            await add_due_monitors(
                session,
                box,
                org.id,
                Source("acme/app", "github", stored.credential.id),
                min(MONITORS_PER_ORG, monitors - first),
                lambda _: [ChannelSpec("slack", fakes.slack.webhook_url())],
                now=now,
            )
        await session.commit()
    return now


def worker_environment(database_url: str, key: str, fakes: Fakes) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("INFRASYNC_") and name != "PYTHONDONTWRITEBYTECODE"
    }
    environment.update(
        PYTHONPATH=str(REPOSITORY_ROOT),
        # An installed worker has its bytecode compiled (pip does it at install); with
        # PYTHONDONTWRITEBYTECODE inherited, every start compiled all it imports from
        # source, seconds of part a's figure on a busy machine. Kept outside the tree.
        PYTHONPYCACHEPREFIX=str(BYTECODE_CACHE),
        INFRASYNC_DATABASE_URL=database_url,
        INFRASYNC_SECRET_KEY="bench-" + "s" * 40,
        INFRASYNC_ENCRYPTION_KEYS=key,
        INFRASYNC_GITHUB_API_URL=fakes.github.base_url,
        INFRASYNC_ALLOW_PRIVATE_WEBHOOKS="true",
        INFRASYNC_LOG_FORMAT="json",
    )
    return environment


def infrasync(*arguments: str, profile: Path | None = None) -> list[str]:
    """The CLI's command line; with `profile`, under cProfile, its stats written there."""
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    return [sys.executable, *profiler, "-m", "infrasync", *arguments]


@dataclass
class Progress:
    digests: int
    delivered: int
    open_deliveries: int


async def progress(factory: async_sessionmaker[AsyncSession]) -> Progress:
    async with factory() as session:
        digests = await session.scalar(select(func.count()).select_from(DigestRecord))
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        states: dict[str, int] = dict(rows.all())
    return Progress(
        int(digests or 0),
        states.get("delivered", 0),
        states.get("pending", 0) + states.get("sending", 0),
    )


def start_worker(environment: dict[str, str], scratch: Path) -> subprocess.Popen[bytes]:
    """`infrasync worker` as an operator runs it (its defaults: 32 at once)."""
    return subprocess.Popen(
        infrasync("worker"),
        env=environment,
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds_of(process: subprocess.Popen[bytes]) -> float:
    """Waits for the process and returns the CPU it used (user + system)."""
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped here; Popen must not wait for it again
    return usage.ru_utime + usage.ru_stime


# a) 1,000 monitors, one worker, SQLite --------------------------------------------------------


async def part_a(monitors: int, latency: float, scratch: Path, profile: Path | None) -> str:
    database_url = normalize_database_url(f"sqlite:///{scratch / 'a.db'}")
    upgrade_to_head(database_url)
    engine = create_engine_for(database_url)
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    try:
        with serving_fakes(latency) as fakes:
            await add_world(factory, key, fakes, monitors)
            say(f"a: {monitors} monitors due; `infrasync tick` starts")
            started, cpu_before = time.perf_counter(), children_cpu()
            tick = await asyncio.create_subprocess_exec(
                *infrasync("tick", "--max-seconds", "600", profile=profile),
                env=worker_environment(database_url, key, fakes),
                cwd=scratch,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, errors = await tick.communicate()
            cpu = children_cpu() - cpu_before
            seconds = time.perf_counter() - started
            said = errors.decode(errors="replace")
            if tick.returncode != 0:
                raise SystemExit(f"a: tick failed: {said[-2000:]}")
            done = await progress(factory)
    finally:
        await engine.dispose()
    (scratch / "a-tick.log").write_text(said)
    summary = re.search(r"tick: (.*)\.$", said, re.MULTILINE)
    say(f"a: {summary.group(1) if summary else said[-500:]}")
    inside = re.search(r"in ([0-9.]+) s", said)
    met = "met" if seconds <= TARGETS["a"] and done.delivered == monitors else "MISSED"
    return (
        f"a) {done.delivered}/{monitors} delivered by one worker on SQLite in {seconds:.1f} s "
        f"({inside.group(1) if inside else '?'} s after start-up; target <= 10 s: {met}), "
        f"{cpu / max(1, done.digests) * 1000:.0f} ms of worker CPU per digest"
    )


# b) 10,000 monitors, two workers, Postgres -----------------------------------------------------


async def part_b(monitors: int, latency: float, scratch: Path, postgres: PostgresDatabases) -> str:
    name, url = postgres.fresh()
    database_url = normalize_database_url(url)
    engine = create_engine_for(database_url)
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    try:
        with serving_fakes(latency) as fakes:
            await add_world(factory, key, fakes, monitors)
            environment = worker_environment(database_url, key, fakes)
            say(f"b: {monitors} monitors due; two `infrasync worker` start")
            started = time.perf_counter()
            workers = [start_worker(environment, scratch) for _ in range(2)]
            try:
                done = await _until_delivered(factory, monitors, within=600)
                seconds = time.perf_counter() - started
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                cpu = sum(cpu_seconds_of(worker) for worker in workers)
    finally:
        await engine.dispose()
        postgres.drop(name)
    met = "met" if seconds <= TARGETS["b"] and done.delivered == monitors else "MISSED"
    per_digest = cpu / max(1, done.digests)
    return (
        f"b) {done.delivered}/{monitors} delivered by two workers on Postgres in "
        f"{seconds:.1f} s (target <= 90 s: {met}), {per_digest * 1000:.0f} ms of worker CPU "
        "per digest"
    )


async def _until_delivered(
    factory: async_sessionmaker[AsyncSession], monitors: int, *, within: float
) -> Progress:
    """Waits until every monitor's digest is delivered, or `within` seconds, or nothing
    moved for STALL_SECONDS (a crashed run waits out its lease: minutes)."""
    deadline = time.monotonic() + within
    shown = moved = time.monotonic()
    last = None
    while True:
        now = await progress(factory)
        if now != last:
            last, moved = now, time.monotonic()
        if now.delivered >= monitors or time.monotonic() > deadline:
            return now
        if time.monotonic() - moved > STALL_SECONDS:
            say(f"   nothing moved for {STALL_SECONDS:.0f} s: {now}")
            return now
        if time.monotonic() - shown > 10:
            say(f"   {now.digests} digests, {now.delivered} delivered")
            shown = time.monotonic()
        await asyncio.sleep(0.2)


# c) the claim at 100,000 monitors ---------------------------------------------------------------

# A day of history at this size: every monitor made a digest and delivered it; 1% of the
# monitors are due now, and as many runs and deliveries wait to be claimed.
HISTORY_SQL = [
    """UPDATE monitors SET next_run_at = next_run_at + interval '1 day' * random()
       + interval '2 hours' WHERE random() > 0.01""",
    """INSERT INTO digests (id, created_at, updated_at, org_id, monitor_id, period_since,
         period_until, repository, writer, text, metrics, items, trigger)
       SELECT gen_random_uuid(), now(), now(), org_id, id, next_run_at - interval '2 days',
         next_run_at - interval '1 day', '{}', 'builtin', '', '{}', '{}', 'schedule'
       FROM monitors""",
    """INSERT INTO digest_runs (id, created_at, updated_at, org_id, monitor_id, period_since,
         period_until, trigger, state, not_before, attempts, periods, digest_id, finished_at)
       SELECT gen_random_uuid(), now(), now(), org_id, monitor_id, period_since, period_until,
         'schedule', CASE WHEN random() < 0.01 THEN 'queued' ELSE 'done' END,
         now() - interval '1 minute' * random(), 1, 1, id, now()
       FROM digests""",
    """INSERT INTO deliveries (id, created_at, updated_at, org_id, digest_id, channel_id,
         state, next_attempt_at, attempts, parts_sent, receipts)
       SELECT gen_random_uuid(), now(), now(), d.org_id, d.id, mc.channel_id,
         CASE WHEN random() < 0.01 THEN 'pending' ELSE 'delivered' END,
         now() - interval '1 minute' * random(), 1, 0, '[]'
       FROM digests d JOIN monitor_channels mc ON mc.monitor_id = d.monitor_id""",
    "ANALYZE",
]
BACKLOG_SQL = [
    "UPDATE digest_runs SET state = 'queued'",
    "UPDATE deliveries SET state = 'pending'",
    "ANALYZE",
]


async def part_c(monitors: int, postgres: PostgresDatabases, samples: int = 300) -> str:
    name, url = postgres.fresh()
    engine = create_engine_for(normalize_database_url(url))
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    box = SecretBox.from_keys([key])
    try:
        say(f"c: {monitors} monitors and a day of history")
        async with factory() as session:
            for first in range(0, monitors, 10_000):
                org = await make_org(session, f"Org {first}", slug=f"org-{first}")
                await add_due_monitors(
                    session,
                    box,
                    org.id,
                    Source("acme/app", "github"),
                    min(10_000, monitors - first),
                    lambda n: [ChannelSpec("slack", f"https://hooks.slack.com/services/T1/B{n}/x")],
                )
            await session.commit()
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for statement in HISTORY_SQL:
                await autocommit.execute(text(statement))
        figures: list[tuple[str, float, float]] = []
        all_indexed = True
        for backlog in (False, True):
            if backlog:
                # 09:00 on a Monday: every run and every delivery is due at once.
                async with engine.connect() as connection:
                    autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    for statement in BACKLOG_SQL:
                        await autocommit.execute(text(statement))
            for label, claim in _claims()[1:] if backlog else _claims():
                label = f"{label} ({monitors} due)" if backlog else label
                times, plan = await _time_and_plan(factory, claim, samples)
                indexed = "Index" in plan and not re.search(
                    r"Seq Scan on (monitors|digest_runs|deliveries)\b", plan
                )
                all_indexed = all_indexed and indexed
                say(f"c: the claim of {label}, EXPLAIN ANALYZE:\n{plan}")
                median, p99 = _percentile(times, 0.5) * 1000, _percentile(times, 0.99) * 1000
                figures.append((label, median, p99))
    finally:
        await engine.dispose()
        postgres.drop(name)
    worst = max(p99 for _, _, p99 in figures)
    met = "met" if worst < TARGETS["c"] and all_indexed else "MISSED"
    shown = ", ".join(f"{label} {median:.1f}/{p99:.1f} ms" for label, median, p99 in figures)
    return (
        f"c) claim median/p99 at {monitors} monitors: {shown} (target p99 < 5 ms, "
        f"{'every plan uses an index' if all_indexed else 'A PLAN SCANS A TABLE'}: {met})"
    )


Claim = Callable[[AsyncSession], Awaitable[object]]


def _claims() -> list[tuple[str, Claim]]:
    """The three claims as the worker makes them: due monitors (the scheduler's), runs
    and deliveries, each for one worker's free slots."""
    lease, limit, attempts = timedelta(minutes=5), 32, 5

    async def due(session: AsyncSession) -> object:
        return await scheduler_repository.due_monitors(session, utcnow(), 200)

    async def runs(session: AsyncSession) -> object:
        return await scheduler_repository.claim_runs(
            session, "bench", utcnow(), lease, limit, attempts
        )

    async def deliveries(session: AsyncSession) -> object:
        return await delivery_repository.claim_deliveries(
            session, "bench", utcnow(), lease, limit, attempts
        )

    return [("due monitors", due), ("runs", runs), ("deliveries", deliveries)]


async def _time_and_plan(
    factory: async_sessionmaker[AsyncSession], claim: Claim, samples: int
) -> tuple[list[float], str]:
    """The statement the claim sends (as the worker makes it), then its time as the
    driver sees it (sent, run, rows fetched; not the ORM's work on the rows), each time in
    a transaction rolled back so all see the same table, and its plan."""
    sent: list[tuple[str, Any]] = []

    def capture(*event_arguments: Any) -> None:
        sent.append((event_arguments[2], event_arguments[3]))  # (statement, parameters)

    async with factory() as session:
        connection = await session.connection()
        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        await claim(session)
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
        await session.rollback()
        statement, parameters = sent[-1]
        times = []
        for _ in range(samples):
            connection = await session.connection()
            started = time.perf_counter()
            (await connection.exec_driver_sql(statement, parameters)).all()
            times.append(time.perf_counter() - started)
            await session.rollback()
        connection = await session.connection()
        rows = await connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        )
        plan = "\n".join(str(row[0]) for row in rows)
        await session.rollback()
    return times, plan


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# d) a worker's memory over rounds ----------------------------------------------------------------


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def part_d(
    monitors: int,
    rounds: int,
    latency: float,
    scratch: Path,
    postgres: PostgresDatabases | None,
) -> str:
    """On Postgres when there is one (what a long-running worker uses), else SQLite."""
    name = None
    if postgres is not None:
        name, url = postgres.fresh()
        database_url = normalize_database_url(url)
    else:
        database_url = normalize_database_url(f"sqlite:///{scratch / 'd.db'}")
        upgrade_to_head(database_url)
    engine = create_engine_for(database_url)
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    after_round: list[float] = []
    try:
        with serving_fakes(latency) as fakes:
            seeded_at = await add_world(factory, key, fakes, monitors)
            worker = start_worker(worker_environment(database_url, key, fakes), scratch)
            try:
                for number in range(rounds):
                    if number:
                        await _rearm(factory, seeded_at)
                    await _until_delivered(factory, monitors, within=300)
                    after_round.append(rss_mb(worker.pid, "VmRSS"))
                    say(f"d: round {number + 1}: {after_round[-1]:.0f} MB")
                peak = rss_mb(worker.pid, "VmHWM")
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
    finally:
        await engine.dispose()
        if postgres is not None and name is not None:
            postgres.drop(name)
    growth = after_round[-1] - after_round[min(1, len(after_round) - 1)]
    met = "met" if peak <= TARGETS["d"] and growth <= 10 else "MISSED"
    return (
        f"d) worker peak RSS over {rounds} rounds of {monitors} on "
        f"{'Postgres' if postgres else 'SQLite'}: {peak:.0f} MB, after each "
        f"{min(after_round):.0f}-{max(after_round):.0f} MB, last minus second "
        f"{growth:+.0f} MB (target <= 300 MB, flat: {met})"
    )


async def _rearm(factory: async_sessionmaker[AsyncSession], seeded_at: datetime) -> None:
    """The same periods due again: their digests (and deliveries) and runs removed, and
    every monitor's next run back at the fire that just passed."""
    _, fire = last_daily_fire(seeded_at)
    async with factory() as session:
        await session.execute(delete(DigestRun))
        await session.execute(delete(DigestRecord))
        await session.execute(update(Monitor).values(next_run_at=fire))
        await session.commit()


# Main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = parser_from_docstring("python -m bench.fanout", __doc__)
    parser.add_argument(
        "--part", action="append", choices=sorted(SIZES), help="run only this part (repeatable)"
    )
    parser.add_argument("--monitors", type=int, help="monitors per part, instead of the full size")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of part d (default 10)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds the fakes add (default 0.05)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INFRASYNC_TEST_DATABASE_URL"),
        help="a Postgres server to create the bench's databases on (b and c)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write part a's tick's cProfile stats to this file (slows it: figures are off)",
    )
    arguments = parser.parse_args()
    figures = asyncio.run(run(arguments))
    load = os.getloadavg()[0]
    print(f"{figures} [load average {load:.1f} on {os.cpu_count()} cores]")


async def run(arguments: argparse.Namespace) -> str:
    parts = arguments.part or sorted(SIZES)
    postgres = None
    if arguments.postgres_url and {"b", "c", "d"} & set(parts):
        postgres = PostgresDatabases(normalize_database_url(arguments.postgres_url))
        postgres.create_template()
    figures = []
    try:
        with tempfile.TemporaryDirectory() as directory:
            scratch = Path(directory)
            for part in parts:
                size = arguments.monitors or SIZES[part]
                if part == "a":
                    figures.append(
                        await part_a(size, arguments.latency, scratch, arguments.profile)
                    )
                elif part == "d":
                    figures.append(
                        await part_d(size, arguments.rounds, arguments.latency, scratch, postgres)
                    )
                elif postgres is None:
                    figures.append(f"{part}) skipped: no --postgres-url")
                elif part == "b":
                    figures.append(await part_b(size, arguments.latency, scratch, postgres))
                else:
                    figures.append(await part_c(size, postgres))
    finally:
        if postgres is not None:
            postgres.drop(postgres.template)
    return "; ".join(figures)


if __name__ == "__main__":
    main()
