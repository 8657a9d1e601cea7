"""`?pooler=transaction` on a Postgres URL: the app works through a connection pooler in
transaction mode (pgbouncer, Supabase's pooler, RDS Proxy), which hands each transaction
any server connection, so nothing may be prepared on one and expected on the next.
(`make test-pgbouncer` runs the Postgres tests through a real pgbouncer in that mode.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from infrasync.db import create_engine_for, sync_engine_for
from infrasync.kit.urls import normalize_database_url
from tests.databases import postgres_admin_url

REPEATS = 8  # psycopg prepares a query on the server from its 5th run


def _with_pooler(url: str, mode: str) -> str:
    return url + ("&" if "?" in url else "?") + f"pooler={mode}"


async def _prepared_after_repeats(url: str) -> int:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            for _ in range(REPEATS):
                await connection.execute(text("SELECT count(*) FROM alembic_version"))
            count = await connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    finally:
        await engine.dispose()
    return int(count or 0)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_transaction_pooler_url_prepares_nothing_on_the_server(
    database_url: str,
) -> None:
    assert await _prepared_after_repeats(database_url) > 0  # psycopg's default
    assert await _prepared_after_repeats(_with_pooler(database_url, "transaction")) == 0
    assert await _prepared_after_repeats(_with_pooler(database_url, "session")) > 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_migrations_and_admin_commands_connect_through_a_pooler_url(database_url: str) -> None:
    engine = sync_engine_for(_with_pooler(database_url, "transaction"))
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        engine.dispose()


def test_a_misspelt_pooler_mode_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="transaction for pgbouncer") as refused:
        normalize_database_url("postgresql://app@db.example.com:6543/app?pooler=transactions")
    assert "'transactions'" in str(refused.value)
    url = normalize_database_url("postgres://app@db.example.com:6543/app?pooler=transaction")
    assert url.endswith("?pooler=transaction")


def test_postgres_admin_url_is_unchanged_by_the_pooler() -> None:
    """The tests' own admin connections (CREATE DATABASE) never go through the pooler."""
    admin = postgres_admin_url()
    assert admin is None or "pooler=" not in admin
