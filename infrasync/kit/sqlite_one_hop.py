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

Writers take turns in the process, not in SQLite's busy handler. SQLite has one writer at a
time; a connection that finds the write lock taken sleeps in its busy handler and tries
again, after 1, 2, 5, ... up to 100 ms. A worker's few dozen tasks each opened a write
transaction per step, so most of them slept, and each slept on for tens of milliseconds
after the lock was free: a claim's UPDATE waited 0.3 to 0.5 s on average (bench/fanout.py,
part a). Here a write transaction first takes the engine's turn, an asyncio lock, FIFO,
held until its commit or rollback: the next writer starts the moment the last one ends,
and no thread sleeps holding a connection. The turn covers the writers of one engine in
one process; another process (the API beside a worker) is still met by busy_timeout. A
transaction starts writing at its first statement that is not a read (the sqlite3 module
opens it right before that statement, so a reader never holds the turn).
"""

from __future__ import annotations

import asyncio
import collections
import re
import sqlite3
import weakref
from collections.abc import Sequence
from functools import partial
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Description = tuple[tuple[Any, ...], ...] | None
# What a statement left: its description, rowcount, lastrowid, rows, and whether the
# connection is in a transaction after it.
Outcome = tuple[Description, int, int | None, list[Any], bool]

# Statements that only read: every other one may write (or open a transaction that will).
_READS = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN)\b", re.IGNORECASE)
_WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b")


def writes(operation: str) -> bool:
    """Whether a statement may write. SQLAlchemy writes keywords in capitals, and
    names and values never carry a bare INSERT, UPDATE or DELETE (values are bound)."""
    if _WITH.match(operation):
        return _WRITES.search(operation) is not None
    return _READS.match(operation) is None


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
        return description, cursor.rowcount, cursor.lastrowid, rows, raw.in_transaction
    finally:
        cursor.close()


def _run_many(raw: sqlite3.Connection, operation: str, parameters: Sequence[Any]) -> Outcome:
    cursor = raw.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, cursor.rowcount, cursor.lastrowid, [], raw.in_transaction
    finally:
        cursor.close()


class WriteTurns:
    """One engine's write turn: an asyncio lock per event loop (an engine's connections
    all live on one loop, but tests run many loops in one process)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take(self) -> asyncio.Lock:
        """Waits for the turn as long as busy_timeout would have, then fails as SQLite
        does: a transaction that never ends must not stall the others for good."""
        lock = self.lock()
        try:
            async with asyncio.timeout(self.wait_seconds):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock


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
        adapted = cast("OneHopConnection", self._adapt_connection)
        if adapted.write_turn is None and writes(statement.keywords["operation"]):
            adapted.write_turn = await adapted.dbapi.write_turns.take()
        async with adapted._execute_mutex:
            outcome: Outcome = await connection._execute(statement, connection._conn)
        description, rowcount, lastrowid, rows, in_transaction = outcome
        if not in_transaction:
            adapted.end_write_turn()  # a statement of its own (DDL, or no transaction)
        self._outcome_description, self._outcome_rowcount = description, rowcount
        self._outcome_lastrowid = lastrowid
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on aiosqlite's thread

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Holds its engine's write turn from its first writing statement to the end of the
    transaction (commit, rollback or close, however that ends)."""

    __slots__ = ("write_turn",)
    _cursor_cls = OneHopCursor
    dbapi: OneHopDBAPI

    def __init__(self, dbapi: OneHopDBAPI, connection: Any) -> None:  # aiosqlite's
        super().__init__(dbapi, connection)
        self.write_turn: asyncio.Lock | None = None

    def end_write_turn(self) -> None:
        turn, self.write_turn = self.write_turn, None
        if turn is not None:
            turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_write_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_write_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_write_turn()

    def terminate(self) -> None:
        try:
            super().terminate()
        finally:
            self.end_write_turn()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, write_wait_seconds: float) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.write_turns = WriteTurns(write_wait_seconds)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi(write_wait_seconds: float = 30.0) -> OneHopDBAPI:
    """The module for one engine: its connections share one write turn."""
    return OneHopDBAPI(write_wait_seconds)
