"""Engines, sessions and schema migrations for SQLite (embedded) and Postgres."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from infrasync.kit.urls import POOLER_PARAMETER, sync_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
# How long a statement waits for another writer's lock before SQLite gives up. 5 s was
# too short for a worker's few dozen runs on a busy machine: their commits queued behind
# each other's and about 5% of runs crashed on "database is locked" (retried a lease
# later). Writers take turns on SQLite whatever we do; waiting is the better answer.
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 5


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_directory(url: str) -> None:
    database = make_url(url).database
    if database:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off unless asked on every connection; WAL lets readers
    # proceed while the worker writes. In WAL mode, synchronous=NORMAL syncs the log at
    # checkpoints instead of at every commit: a commit is still safe from a crash of the
    # process, and the file from corruption; only a power loss or an OS crash may undo the
    # last commits before it (a delivery then goes out again, which at-least-once allows).
    # FULL cost an fsync of ~5 ms per commit, and writers take turns: a worker's seven
    # commits per digest capped it near 30 digests a second whatever its CPU could do.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _connect_args(url: str) -> dict[str, Any]:
    if _is_sqlite(url):
        return {}
    arguments: dict[str, Any] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    if make_url(url).query.get(POOLER_PARAMETER) == "transaction":
        # A pooler in transaction mode (pgbouncer, Supabase's pooler, RDS Proxy) gives
        # each transaction whichever server connection is free: a statement psycopg
        # prepared on one (it does after 5 runs of the same query) is unknown on the
        # next. None: never prepare on the server. Nothing else of ours outlives a
        # transaction on a connection (no SET, advisory lock, LISTEN or temp table).
        arguments["prepare_threshold"] = None
    return arguments


def _without_pooler(url: str) -> str:
    """The URL psycopg is given: `?pooler=` is ours (kit.urls), libpq would refuse it."""
    parsed = make_url(url)
    if POOLER_PARAMETER not in parsed.query:
        return url
    return parsed.difference_update_query([POOLER_PARAMETER]).render_as_string(hide_password=False)


def _driver_module(url: str) -> dict[str, Any]:
    if not _is_sqlite(url):
        return {}
    from infrasync.kit import sqlite_one_hop  # aiosqlite is loaded only for SQLite

    # Writers of the engine take turns in the process (see kit/sqlite_one_hop.py), as
    # long as SQLite would have let them wait on each other.
    return {"module": sqlite_one_hop.dbapi(SQLITE_BUSY_TIMEOUT_MS / 1000)}


# Connections a pool may open beyond its size for a burst, closed again once returned: few,
# as Postgres allows 100 connections by default and compose runs two workers of 34 and an API.
POOL_OVERFLOW = 5
# What a worker holds besides its tasks' sessions: the heartbeat and the scheduler's.
WORKER_OWN_SESSIONS = 2


def pool_size_for(setting: int, *, concurrency: int = 0) -> int:
    """The pool a process needs: the setting (INFRASYNC_DATABASE_POOL_SIZE), and for a
    worker at least a connection per task it runs at once plus its own. Smaller, tasks
    waited for a connection while others waited on the database, and past the pool's
    30 s timeout failed (to be retried only when their lease ran out)."""
    return max(setting, concurrency + WORKER_OWN_SESSIONS if concurrency else 0)


def create_engine_for(
    url: str, *, pool_size: int = 10, create_directory: bool = True
) -> AsyncEngine:
    """The async engine for a normalized URL (see kit.urls.normalize_database_url), its
    pool sized by `pool_size_for`."""
    if _is_sqlite(url) and create_directory:
        _ensure_sqlite_directory(url)
    # Pre-ping on Postgres costs a round trip per checkout, and is kept because it is
    # needed: after a restart or failover drops the pooled connections, the first request
    # otherwise answered a 500 (tests/test_db_sessions.py). `pool_recycle` alone would not
    # help: a restart drops young connections too.
    engine = create_async_engine(
        _without_pooler(url),
        connect_args=_connect_args(url),
        pool_pre_ping=not _is_sqlite(url),
        pool_size=pool_size,
        max_overflow=POOL_OVERFLOW,
        **_driver_module(url),
    )
    if _is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: a route may read what it just committed without a new query.
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the caller finishes, rolls back when it raises.

    A context manager, not a bare generator: `async for` over a generator would not pass
    an exception on to it, so the rollback would not run and the connection would stay
    checked out until the generator was garbage-collected."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# Migrations ----------------------------------------------------------------------------


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Dated names keep `ls` in the order the schema grew.
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    config.attributes["database_url"] = sync_database_url(url)
    return config


def upgrade_to_head(url: str) -> None:
    """Brings the schema at `url` to the newest migration (idempotent)."""
    if _is_sqlite(url):
        _ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), "head")


@functools.cache
def _heads() -> frozenset[str]:
    # Parsing every migration file takes tens of milliseconds; /ready asks often.
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    return frozenset(script.get_heads())


def head_revisions() -> set[str]:
    return set(_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database is at (empty before the first migration).

    Read with plain SQL: Alembic's MigrationContext logs two lines each time, which would
    put noise in the log on every readiness probe.
    """
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    # VERSION_TABLE is our constant, never input.
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # noqa: S608
    return {row[0] for row in rows}


def sync_engine_for(url: str) -> Any:
    """A short-lived blocking engine (migrations, admin commands, test setup)."""
    sync_url = sync_database_url(_without_pooler(url))
    engine = create_engine(sync_url, poolclass=NullPool, connect_args=_connect_args(url))
    if _is_sqlite(url):
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


__all__ = [
    "AsyncEngine",
    "AsyncSession",
    "alembic_config",
    "create_engine_for",
    "current_revisions",
    "head_revisions",
    "session_factory",
    "session_scope",
    "sync_engine_for",
    "upgrade_to_head",
]
