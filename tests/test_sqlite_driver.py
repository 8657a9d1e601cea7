"""The embedded database's driver: one hop to aiosqlite's thread per statement, the same
answers as SQLAlchemy's own adapter, and the pragmas every connection needs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from infrasync.db import create_engine_for
from infrasync.kit import sqlite_one_hop
from infrasync.kit.urls import normalize_database_url


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(normalize_database_url(f"sqlite:///{tmp_path / 'x.db'}"))
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call aiosqlite runs on its thread, by name."""
    calls: list[str] = []
    original: Any = aiosqlite.Connection._execute  # untyped in aiosqlite

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", None) or getattr(fn.func, "__name__", "?")
        calls.append(str(name))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_a_statement_is_one_hop_to_the_database_thread(
    engine: AsyncEngine, hops: list[str]
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the connection and its transaction
        hops.clear()
        rows = (await connection.execute(text("SELECT id, name FROM things"))).all()
        assert rows == []
        assert len(hops) == 1, hops  # SQLAlchemy's adapter: cursor, execute, fetch, close
        await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
        assert len(hops) == 2, hops
        await connection.commit()
        assert hops[2:] == ["commit"], hops


async def test_answers_are_those_of_a_plain_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await connection.execute(
            text("INSERT INTO things (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        changed = await connection.execute(text("UPDATE things SET name = name || '!'"))
        assert changed.rowcount == 3
        result = await connection.execute(text("SELECT id, name FROM things ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a!"), (2, "b!"), (3, "c!")]
        none = await connection.execute(text("UPDATE things SET name = 'z' WHERE id = 99"))
        assert none.rowcount == 0


async def test_errors_are_sqlalchemys_and_leave_the_connection_usable(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            await connection.execute(text("INSERT INTO things (name) VALUES ('a')"))
        await connection.rollback()
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM nowhere"))
        await connection.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM things"))).scalar() == 0


async def test_every_connection_has_its_pragmas(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        pragmas = {
            name: (await connection.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
        }
    # synchronous 1 is NORMAL (docs/delivery.md says what it allows), not FULL (2).
    assert pragmas == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 30_000,
    }


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's own wait for a taken write lock, off: a second writer that reached
    SQLite while the first held the lock would fail at once with "database is locked"."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 0")
    cursor.close()


async def test_writers_of_one_engine_take_turns_instead_of_fighting_for_the_lock(
    tmp_path: Path,
) -> None:
    engine = create_engine_for(normalize_database_url(f"sqlite:///{tmp_path / 'turns.db'}"))
    event.listen(engine.sync_engine, "connect", _no_busy_wait)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE things (name TEXT NOT NULL)"))
        first = await engine.connect()
        await first.execute(text("INSERT INTO things (name) VALUES ('first')"))
        # A second task writes while the first's transaction is open: it waits for its
        # turn (no thread of SQLite's spent sleeping), and goes as soon as the first ends.
        second = asyncio.create_task(_insert(engine, "second"))
        await asyncio.sleep(0.05)
        assert not second.done()
        # Reads never wait for a turn.
        async with engine.connect() as reader:
            assert (await reader.execute(text("SELECT count(*) FROM things"))).scalar() == 0
        await first.commit()
        await first.close()
        await asyncio.wait_for(second, timeout=30)
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM things"))).scalars()
            assert list(names) == ["first", "second"]
    finally:
        await engine.dispose()


async def test_a_writer_that_never_gets_its_turn_fails_as_sqlite_would(
    tmp_path: Path,
) -> None:
    url = normalize_database_url(f"sqlite:///{tmp_path / 'stuck.db'}")
    engine = create_async_engine(url, module=sqlite_one_hop.dbapi(write_wait_seconds=0.1))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE things (name TEXT NOT NULL)"))
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.execute(text("INSERT INTO things (name) VALUES ('held')"))
            with pytest.raises(OperationalError, match="database is locked"):
                await waiter.execute(text("INSERT INTO things (name) VALUES ('late')"))
            await holder.rollback()
            # The turn is free again once the holder's transaction ended.
            await waiter.rollback()
            await waiter.execute(text("INSERT INTO things (name) VALUES ('now')"))
            await waiter.commit()
    finally:
        await engine.dispose()


async def _insert(engine: AsyncEngine, name: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO things (name) VALUES (:name)"), {"name": name})


def test_only_statements_that_may_write_take_the_turn() -> None:
    assert not sqlite_one_hop.writes("SELECT monitors.id FROM monitors FOR SHARE")
    assert not sqlite_one_hop.writes("  PRAGMA busy_timeout")
    assert not sqlite_one_hop.writes("WITH picked AS (SELECT id FROM runs) SELECT id FROM picked")
    assert not sqlite_one_hop.writes("SELECT updated_at FROM deliveries")
    assert sqlite_one_hop.writes("WITH picked AS (SELECT id FROM runs) UPDATE runs SET x = 1")
    assert sqlite_one_hop.writes("INSERT INTO things (name) VALUES (?)")
    assert sqlite_one_hop.writes("SAVEPOINT sa_savepoint_1")
    assert sqlite_one_hop.writes("CREATE TABLE things (name TEXT)")
