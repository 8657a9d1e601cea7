from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import make_url

from infrasync import __version__
from infrasync.app import create_app
from infrasync.config import load_settings
from infrasync.db import upgrade_to_head
from tests.databases import PostgresDatabases, SqliteDatabases
from tests.fakes.tcp_proxy import TcpProxy


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def test_health_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_ready_when_database_is_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    no_worker = "no worker has been seen: scheduled digests are not being made or delivered"
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": no_worker},
        "warnings": [no_worker],
    }


async def test_ready_is_503_until_migrations_run(
    backend: str, request: pytest.FixtureRequest, tmp_path: object
) -> None:
    if backend == "sqlite":
        sqlite: SqliteDatabases = request.getfixturevalue("sqlite_databases")
        url = sqlite.fresh(request.getfixturevalue("tmp_path"), migrated=False)
        name = None
    else:
        postgres: PostgresDatabases = request.getfixturevalue("postgres_databases")
        name, url = postgres.fresh(migrated=False)
    app = create_app(load_settings(database_url=url))
    try:
        async with _client(app) as client:
            behind = await client.get("/ready")
            assert behind.status_code == 503
            body = behind.json()
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["migrations"].startswith("behind: database at none")
            assert "infrasync migrate" in body["detail"]

            upgrade_to_head(url)
            assert (await client.get("/ready")).status_code == 200
    finally:
        await app.state.engine.dispose()
        if name is not None:
            postgres.drop(name)


async def test_ready_turns_503_when_database_is_unreachable_and_200_when_it_returns(
    postgres_databases: PostgresDatabases,
) -> None:
    name, url = postgres_databases.fresh()
    real = make_url(url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(load_settings(database_url=proxied))
    try:
        async with _client(app) as client:
            assert (await client.get("/ready")).status_code == 200

            await proxy.cut()
            down = await client.get("/ready")
            assert down.status_code == 503
            assert down.json()["checks"] == {"database": "unreachable", "migrations": "unknown"}
            assert str(proxy.port) not in down.text  # no connection details to the public
            # Liveness does not depend on the database.
            assert (await client.get("/health")).status_code == 200

            await proxy.start()
            back = await client.get("/ready")
            assert back.status_code == 200, back.text
    finally:
        await app.state.engine.dispose()
        await proxy.cut()
        postgres_databases.drop(name)
