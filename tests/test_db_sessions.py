"""A request's database session ends with the request, whether it succeeds or fails."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool

from infrasync.app import create_app
from infrasync.config import Settings
from infrasync.db import create_engine_for, pool_size_for, session_scope
from infrasync.kit.time import utcnow
from infrasync.models.worker_heartbeat import WorkerHeartbeat
from infrasync.scheduler.worker import WorkerOptions
from tests.conftest import Personas, SignIn, client_with


async def test_a_refused_request_gives_its_connection_back_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    pool = app.state.engine.pool
    response = await client.get("/api/orgs/acme", headers={"Authorization": "Bearer isk_nope"})
    assert response.status_code == 401
    # The key lookup used a connection; the refusal must roll back and return it, not
    # leave it checked out until the garbage collector finds it.
    assert pool.checkedout() == 0


async def test_a_successful_request_gives_its_connection_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/api/server")).status_code == 200
    assert (await client.get("/api/orgs")).status_code == 401
    assert app.state.engine.pool.checkedout() == 0


async def test_writers_that_read_first_all_commit_side_by_side(app: FastAPI) -> None:
    """Each unit of work reads, lets the others read too, then writes: the worker's runs
    do this by the dozen. On SQLite a transaction that began as a reader cannot become a
    writer once another has committed ("database is locked", at once, busy timeout or
    not): the driver's transactions must begin at the first write, as pysqlite's do, not
    at the first read (as `BEGIN` on every checkout, a common savepoint recipe, would)."""
    writers = 4
    all_have_read = asyncio.Barrier(writers)

    async def read_then_write(number: int) -> None:
        async with session_scope(app.state.session_factory) as session:
            await session.scalar(select(func.count()).select_from(WorkerHeartbeat))
            # All read before anyone writes; the timeout is only a backstop should a
            # backend make readers take turns.
            with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
                async with asyncio.timeout(0.2):
                    await all_have_read.wait()
            now = utcnow()
            session.add(
                WorkerHeartbeat(
                    worker_id=f"w{number}", hostname="h", pid=number, started_at=now, seen_at=now
                )
            )

    await asyncio.gather(*(read_then_write(number) for number in range(writers)))

    async with app.state.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(WorkerHeartbeat))
    assert count == writers


async def test_concurrent_mutations_all_succeed(sign_in: SignIn, personas: Personas) -> None:
    """Eight channels added at once (eight browser tabs) are eight 201s, not a 409 "try
    again" for whoever lost a race for SQLite's write lock."""
    admin = await sign_in(personas.admin)
    responses = await asyncio.gather(
        *(
            admin.post(
                "/api/orgs/acme/channels",
                json={"kind": "webhook", "name": f"Hook {n}", "url": f"https://example.com/{n}"},
            )
            for n in range(8)
        )
    )
    assert [response.status_code for response in responses] == [201] * 8
    listed = (await admin.get("/api/orgs/acme/channels")).json()
    assert len(listed) == 8


async def test_requests_carry_on_after_postgres_drops_every_connection(
    app: FastAPI, backend: str
) -> None:
    """A Postgres restart or failover closes every pooled connection. The next request
    must be answered as usual, not with a 500: the pool checks a connection before
    lending it (`pool_pre_ping`; without it the first request after a restart failed)."""
    if backend != "postgres":
        pytest.skip("SQLite connections are files: nothing drops them")
    database = app.state.engine.url.database
    async with client_with(app, headers={"Authorization": "Bearer isk_nope"}) as caller:
        assert (await caller.get("/api/orgs/acme")).status_code == 401  # a pooled connection
        admin_url = app.state.engine.url.set(database="postgres", drivername="postgresql")
        with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
        answers = [(await caller.get("/api/orgs/acme")).status_code for _ in range(3)]
    assert answers == [401, 401, 401]


def test_a_pool_is_the_setting_and_a_worker_holds_a_connection_per_task() -> None:
    assert pool_size_for(10) == 10
    assert pool_size_for(10, concurrency=32) == 34  # a task each, the heartbeat, the scheduler
    assert pool_size_for(50, concurrency=32) == 50


async def test_the_apps_pool_is_sized_from_settings_and_its_workers_concurrency(
    settings: Settings, web_dist: Path
) -> None:
    sized = settings.model_copy(update={"database_pool_size": 3})
    plain = create_app(sized, web_dist=web_dist)
    working = create_app(
        sized, web_dist=web_dist, worker=True, worker_options=WorkerOptions(concurrency=40)
    )
    try:
        assert plain.state.engine.pool.size() == 3
        assert working.state.engine.pool.size() == 42
    finally:
        await plain.state.engine.dispose()
        await working.state.engine.dispose()


async def test_every_task_of_a_worker_gets_a_connection_at_once(database_url: str) -> None:
    """32 tasks each holding a session (SQLAlchemy's default pool gave 15, then made the
    16th wait up to 30 s and fail)."""
    engine = create_engine_for(database_url, pool_size=pool_size_for(1, concurrency=32))
    held: list[AsyncConnection] = []
    try:
        for _ in range(32 + 2):
            held.append(await asyncio.wait_for(engine.connect(), timeout=60))
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedout() == 34
    finally:
        for connection in held:
            await connection.close()
        await engine.dispose()
