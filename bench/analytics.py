"""How fast the analytics API's queries are on a big org: its series (GET
/api/orgs/{org}/analytics) and its summary (…/analytics/summary), on Postgres.

    .venv/bin/python -m bench.analytics
    .venv/bin/python -m bench.analytics --monitors 200 --weeks 52 --samples 50
    .venv/bin/python -m bench.analytics --postgres-url postgresql://postgres@127.0.0.1/test

One org of 1,000 monitors x 104 weekly digests (two years), beside 9 other orgs of 100
monitors each with as many digests (so that the org's rows are a part of the table, as
on a real server), inserted by one INSERT … SELECT over generate_series, each digest's
metrics a full schema-1 document (validated by MetricsV1 on a sample) and its items a
realistic few kilobytes (merged pull requests, some stale). Then, each many times, as
the route runs it (the service, its queries and their rows; not HTTP): the org's weekly
series of 12 weeks and monthly series of 12 months, for a summed count (prs_merged) and
a weighted median (time to merge), and the summary. Target p99 < 50 ms each. Each
query's plan (EXPLAIN ANALYZE) goes to stderr and must read digests (and their narrow
rows of figures, digest_figures, which the bulk insert fills by the backfill of the
migration that made the table) by an index.

Needs --postgres-url (or INFRASYNC_TEST_DATABASE_URL). One line of figures per
measurement goes to stdout; progress and plans to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.arguments import parser_from_docstring
from infrasync.analytics import service
from infrasync.auth.context import OrgContext
from infrasync.db import MIGRATIONS_DIR, create_engine_for, session_factory
from infrasync.digests.metrics import MetricsV1
from infrasync.kit.time import utcnow
from infrasync.kit.urls import normalize_database_url
from infrasync.models import DigestRecord, Role
from tests.databases import PostgresDatabases
from tests.factories import make_org, make_user

TARGET_MS = 50.0
OTHER_ORGS = 9
OTHER_ORG_MONITORS = 100


def say(message: str) -> None:
    print(f"analytics: {message}", file=sys.stderr, flush=True)


# The world ---------------------------------------------------------------------------------

MONITORS_SQL = """
INSERT INTO monitors (id, created_at, updated_at, org_id, name, source, source_kind,
  repository_count, sections, extra_bots, include_bots, skip_empty, include_pr_descriptions,
  writer, stale_days, paused, schedule_kind, schedule_timezone, last_run_status)
SELECT gen_random_uuid(), now(), now(), :org_id, 'monitor ' || n, 'acme/repo-' || n, 'github',
  1, '[]', '[]', false, false, false, 'auto', 3, false, 'weekly', 'UTC',
  CASE WHEN n % 50 = 0 THEN 'error' ELSE 'ok' END
FROM generate_series(1, :count) AS n
"""

# One figures object of schema 1, random but consistent (merged <= opened + open…).
_FIGURES = """
jsonb_build_object(
  'commits', (random() * 80)::int, 'authors', (random() * 8)::int,
  'prs_opened', (random() * 15)::int, 'prs_merged', m.merged,
  'prs_closed_unmerged', (random() * 3)::int, 'prs_open_at_end', (random() * 20)::int,
  'prs_stale', (random() * 4)::int, 'issues_opened', (random() * 10)::int,
  'issues_closed', (random() * 10)::int, 'releases', (random() * 2)::int,
  'contributors', (random() * 10)::int, 'first_time_contributors', (random() * 2)::int,
  'time_to_merge_hours', CASE WHEN m.merged = 0 THEN NULL ELSE jsonb_build_object(
    'median', round((random() * 72)::numeric, 2), 'p90', round((random() * 200)::numeric, 2))
  END,
  'time_to_first_review_hours', jsonb_build_object(
    'median', round((random() * 24)::numeric, 2)))
"""

_PULL = """
jsonb_build_object('number', {number}, 'title', 'Make the thing faster in module ' || {number},
  'url', 'https://github.com/acme/repo/pull/' || {number}, 'author', 'ada',
  'labels', '["enhancement"]'::jsonb, 'is_draft', false,
  'created_at', to_char(since - interval '{age} days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'merged_at', NULL, 'closed_at', NULL, 'changed_lines', 120, 'changed_files', 4,
  'reviewed', false, 'kind', 'Feature', 'author_is_bot', false, 'ready_at', NULL,
  'changes_requested_at', NULL, 'changes_requested_by', '[]'::jsonb)
"""

# Digests go in week by week, every monitor's at once, as a weekly schedule writes them.
# The items are a week's (made once per week, not per digest); the figures each digest's.
# (Built from the constants above alone.)
DIGESTS_SQL = f"""
INSERT INTO digests (id, created_at, updated_at, org_id, monitor_id, period_since,
  period_until, repository, writer, text, metrics, items, trigger)
SELECT gen_random_uuid(), d.since + interval '7 days', now(), mo.org_id, mo.id, d.since,
  d.since + interval '7 days',
  jsonb_build_object('kind', 'github', 'name', mo.source, 'url', NULL, 'revision', NULL),
  'builtin', repeat('A week of work on the repository. ', 40),
  {_FIGURES} || jsonb_build_object('schema', 1, 'previous', {_FIGURES}),
  d.items, 'schedule'
FROM monitors mo
CROSS JOIN (
  SELECT since, jsonb_build_object(
    'merged', jsonb_build_array({", ".join(_PULL.format(number=n, age=2) for n in range(1, 9))}),
    'stale', jsonb_build_array({_PULL.format(number=100, age=9)},
      {_PULL.format(number=101, age=5)}),
    'reviewers', '[{{"login": "ada", "reviews": 4}}, {{"login": "bob", "reviews": 2}}]'::jsonb
  ) AS items
  FROM (
    SELECT date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      - interval '7 days' * (w + 1) AS since
    FROM generate_series(0, :weeks - 1) AS w) weeks
) d
-- Referring to the row makes Postgres draw a new number for each digest, not one in all.
CROSS JOIN LATERAL (SELECT (random() * 12)::int + (d.since IS NULL)::int AS merged) m
ORDER BY d.since, mo.id
"""  # noqa: S608


async def add_world(
    factory: async_sessionmaker[AsyncSession], monitors: int, weeks: int
) -> OrgContext:
    async with factory() as session:
        big = await make_org(session, "Big", slug="big")
        viewer = await make_user(session, "bench-viewer")
        orgs = [(big, monitors)]
        for number in range(OTHER_ORGS):
            other = await make_org(session, f"Other {number}", slug=f"other-{number}")
            orgs.append((other, OTHER_ORG_MONITORS))
        for org, count in orgs:
            await session.execute(text(MONITORS_SQL), {"org_id": org.id, "count": count})
        await session.commit()
    started = time.perf_counter()
    async with factory() as session:
        await session.execute(text(DIGESTS_SQL), {"weeks": weeks})
        # What the app writes with each digest it stores (models/digest_figures.py), as
        # the migration that made the table filled it for the digests there were.
        await session.execute(text(_backfill_sql()))
        await session.commit()
        total = await session.scalar(select(text("count(*)")).select_from(DigestRecord))
        sample = await session.scalar(select(DigestRecord.metrics).limit(1))
    MetricsV1.model_validate(sample)  # the bench's figures are real schema-1 documents
    say(f"{total} digests inserted in {time.perf_counter() - started:.1f} s")
    return OrgContext.of_member(big, viewer, Role.VIEWER)


def _backfill_sql() -> str:
    migration = next((MIGRATIONS_DIR / "versions").glob("*-0016_digest_figures.py"))
    spec = importlib.util.spec_from_file_location("digest_figures_migration", migration)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sql: str = module.backfill_sql("postgresql")
    return sql


# Timing --------------------------------------------------------------------------------------

Call = Callable[[AsyncSession], Awaitable[object]]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(
    factory: async_sessionmaker[AsyncSession], call: Call, samples: int
) -> tuple[list[float], list[str]]:
    """The call's times over `samples` runs (after a few to warm the cache), and the plan
    of each statement it sent."""
    sent: list[tuple[str, Any]] = []

    def capture(*arguments: Any) -> None:
        sent.append((arguments[2], arguments[3]))  # (statement, parameters)

    async with factory() as session:
        connection = await session.connection()
        event.listen(connection.sync_connection, "before_cursor_execute", capture)
        await call(session)
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
        await session.rollback()
        for _ in range(5):
            await call(session)
            await session.rollback()
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            await call(session)
            times.append(time.perf_counter() - started)
            await session.rollback()
        # The statements again in one transaction, as sent (a SET LOCAL too), each query
        # under EXPLAIN ANALYZE.
        plans = []
        connection = await session.connection()
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                await connection.exec_driver_sql(statement, parameters)
                continue
            rows = await connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
            plans.append("\n".join(str(row[0]) for row in rows))
        await session.rollback()
    return times, plans


def _reads_digests_by_index(plan: str) -> bool:
    return not re.search(r"Seq Scan on digest(s|_figures)\b", plan) and bool(
        re.search(
            r"Index (Only )?Scan[^\n]* on digest(s|_figures)\b"
            r"|Bitmap Index Scan on \w*digest(s|_figures)",
            plan,
        )
    )


def _measurements(context: OrgContext) -> list[tuple[str, Call]]:
    def series(metric: str, bucket: str) -> Call:
        async def call(session: AsyncSession) -> object:
            return await service.series(
                session,
                context,
                metric_name=metric,
                bucket_name=bucket,
                since=None,
                until=None,
                monitor_id=None,
            )

        return call

    async def summary(session: AsyncSession) -> object:
        return await service.summary(session, context, days=7)

    return [
        ("series prs_merged, 12 weeks", series("prs_merged", "week")),
        ("series time_to_merge_hours.median, 12 weeks", series("time_to_merge_hours", "week")),
        ("series prs_merged, 12 months", series("prs_merged", "month")),
        ("series time_to_merge_hours.median, 12 months", series("time_to_merge_hours", "month")),
        ("series prs_open_at_end, 12 months", series("prs_open_at_end", "month")),
        ("summary, 7 days", summary),
    ]


# Main ------------------------------------------------------------------------------------------


async def run(arguments: argparse.Namespace) -> list[str]:
    postgres = PostgresDatabases(normalize_database_url(arguments.postgres_url))
    postgres.create_template()
    name, url = postgres.fresh()
    engine = create_engine_for(normalize_database_url(url))
    factory = session_factory(engine)
    lines = []
    try:
        context = await add_world(factory, arguments.monitors, arguments.weeks)
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE digests"))
            await autocommit.execute(text("VACUUM ANALYZE digest_figures"))
            await autocommit.execute(text("VACUUM ANALYZE monitors"))
        size = f"{arguments.monitors} monitors x {arguments.weeks} weeks"
        for label, call in _measurements(context):
            times, plans = await measure(factory, call, arguments.samples)
            for number, plan in enumerate(plans, 1):
                say(f"{label}, statement {number} of {len(plans)}, EXPLAIN ANALYZE:\n{plan}")
            digest_plans = [plan for plan in plans if re.search(r" on digest(s|_figures)\b", plan)]
            indexed = all(_reads_digests_by_index(plan) for plan in digest_plans)
            p50, p99 = _percentile(times, 0.5) * 1000, _percentile(times, 0.99) * 1000
            # The server's own time for the statements (EXPLAIN ANALYZE's, once), apart
            # from the driver, the ORM and the service's work on the rows.
            database = sum(
                float(found.group(1))
                for plan in plans
                if (found := re.search(r"Execution Time: ([0-9.]+) ms", plan))
            )
            met = "met" if p99 < TARGET_MS and indexed else "MISSED"
            lines.append(
                f"{label} ({size}, {len(plans)} statements): p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms over {len(times)} runs, database {database:.1f} ms "
                f"(target p99 < {TARGET_MS:.0f} ms and "
                f"{'digests read by index' if indexed else 'A PLAN SCANS DIGESTS'}: {met})"
            )
            say(lines[-1])
    finally:
        await engine.dispose()
        postgres.drop(name)
        postgres.drop(postgres.template)
    return lines


def main() -> None:
    parser = parser_from_docstring("python -m bench.analytics", __doc__)
    parser.add_argument("--monitors", type=int, default=1_000, help="the org's (default 1000)")
    parser.add_argument("--weeks", type=int, default=104, help="digests each (default 104)")
    parser.add_argument("--samples", type=int, default=200, help="runs each (default 200)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INFRASYNC_TEST_DATABASE_URL"),
        help="a Postgres server to create the bench's database on",
    )
    arguments = parser.parse_args()
    if not arguments.postgres_url:
        raise SystemExit("analytics: needs --postgres-url or INFRASYNC_TEST_DATABASE_URL")
    started = utcnow()
    lines = asyncio.run(run(arguments))
    load = os.getloadavg()[0]
    seconds = (utcnow() - started) / timedelta(seconds=1)
    for line in lines:
        print(f"{line} [load average {load:.1f} on {os.cpu_count()} cores, {seconds:.0f} s]")


if __name__ == "__main__":
    main()
