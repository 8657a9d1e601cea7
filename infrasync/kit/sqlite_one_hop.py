"""aiosqlite, one thread hop per statement instead of four.

aiosqlite runs every sqlite3 call on a thread of its own, and SQLAlchemy's adapter makes
four calls per statement: open a cursor, execute, fetch, close. Each call is a hop to
that thread and back (a queue put, a wake-up of the event loop through its self-pipe, a
GIL handoff). On a busy machine each hop also waits for the other thread to be scheduled,
so a worker spent most of its time handing statements back and forth: 74 hops per digest
in `bench/fanout.py`, and about two thirds of the worker's samples under py-spy. Here a
statement is one function run on aiosqlite's thread (cursor, execute, fetch and close
together). Commits and rollbacks keep their hop: skipping one when no transaction looks
open would race a statement still running on the thread after its task was cancelled,
and the queue's order is what keeps that rollback after it.

Nothing on the market does this: aiosqlite is the one maintained asyncio SQLite driver
and SQLAlchemy's adapter for it is the one we build on, so this is a small subclass of
that adapter, given to the engine as its DBAPI module (`create_async_engine(module=…)`).
It leans on `aiosqlite.Connection._execute` (run a callable on the connection's thread),
which is private; tests/test_sqlite_driver.py counts the hops, so an aiosqlite that changes
it fails there rather than in production.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, int, int | None, list[Any]]


def _run_statement(raw: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """On aiosqlite's thread: the whole of one statement, its rows read."""
    cursor = raw.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _run_many(raw: sqlite3.Connection, operation: str, parameters: Sequence[Any]) -> Outcome:
    cursor = raw.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds a finished statement's outcome; no sqlite3 cursor stays open
    between calls, so there is nothing to close on aiosqlite's thread either."""

    __slots__ = ("_outcome_description", "_outcome_lastrowid", "_outcome_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened: no hop
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome_description: Description = None
        self._outcome_rowcount = -1
        self._outcome_lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._outcome_description

    @property
    def rowcount(self) -> int:
        return self._outcome_rowcount

    @property
    def lastrowid(self) -> Any:
        return self._outcome_lastrowid

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(
                self._run(partial(_run_statement, operation=operation, parameters=parameters))
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(
                self._run(partial(_run_many, operation=operation, parameters=seq_of_parameters))
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, statement: partial[Outcome]) -> None:
        connection: Any = self._connection  # aiosqlite.Connection; `_execute` is untyped
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await connection._execute(statement, connection._conn)
        description, rowcount, lastrowid, rows = outcome
        self._outcome_description, self._outcome_rowcount = description, rowcount
        self._outcome_lastrowid = lastrowid
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on aiosqlite's thread

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
