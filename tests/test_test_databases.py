"""The Postgres databases the tests lend out are handed back emptied, and lent again only
when they read exactly as a fresh copy of the template; anything a test changed beyond
its rows means a new database for the next test."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from infrasync.db import create_engine_for, session_factory
from infrasync.models import Role
from tests.databases import PostgresDatabases, with_database
from tests.factories import add_member, make_org, make_user

SCHEMA_CHANGES = {
    "a new column": "ALTER TABLE orgs ADD COLUMN extra integer",
    "a new table": "CREATE TABLE scratch (id integer)",
    "another migration": "UPDATE alembic_version SET version_num = 'elsewhere'",
    "a grant": "GRANT SELECT ON users TO PUBLIC",
    "a database setting": "DO $$ BEGIN EXECUTE format("
    "'ALTER DATABASE %I SET statement_timeout = 1000', current_database()); END $$",
}


@pytest.fixture
def databases(postgres_databases: PostgresDatabases) -> PostgresDatabases:
    """This worker's lender, the one `database_url` borrows from."""
    return postgres_databases


async def _an_org_with_its_owner(url: str) -> None:
    engine = create_engine_for(url)
    try:
        async with session_factory(engine)() as session:
            await add_member(session, await make_org(session), await make_user(session), Role.OWNER)
            await session.commit()
    finally:
        await engine.dispose()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(url: str, *statements: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def _exists(databases: PostgresDatabases, name: str) -> bool:
    with psycopg.connect(_libpq(databases.admin_url)) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return found.fetchone() is not None


def _orgs(url: str) -> int:
    with psycopg.connect(_libpq(url)) as connection:
        row = connection.execute("SELECT count(*) FROM orgs").fetchone()
        assert row is not None
        count: int = row[0]
        return count


async def test_a_database_handed_back_with_rows_is_lent_again_empty(
    databases: PostgresDatabases,
) -> None:
    name, url = databases.lend()
    await _an_org_with_its_owner(url)
    assert _orgs(url) == 1
    # A connection the test forgot to close does not keep its database from being reused.
    forgotten = psycopg.connect(_libpq(url))
    forgotten.execute("SELECT * FROM users FOR UPDATE")  # in a transaction left open
    databases.give_back(name)
    forgotten.close()

    again, again_url = databases.lend()
    assert again == name
    assert again_url == with_database(databases.admin_url, name)
    assert _orgs(again_url) == 0
    databases.give_back(again)


@pytest.mark.parametrize("change", SCHEMA_CHANGES.values(), ids=SCHEMA_CHANGES.keys())
def test_a_database_changed_beyond_its_rows_is_dropped(
    databases: PostgresDatabases, change: str
) -> None:
    name, url = databases.lend()
    _run(url, change)
    databases.give_back(name)
    assert not _exists(databases, name)

    fresh, fresh_url = databases.lend()
    assert fresh != name
    assert _orgs(fresh_url) == 0
    databases.give_back(fresh)
    assert _exists(databases, fresh)
