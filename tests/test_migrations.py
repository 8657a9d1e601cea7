from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from infrasync.db import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revisions,
    head_revisions,
    sync_engine_for,
    upgrade_to_head,
)
from infrasync.kit.db import Base
from tests.databases import PostgresDatabases, SqliteDatabases


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if backend == "sqlite":
        sqlite: SqliteDatabases = request.getfixturevalue("sqlite_databases")
        yield sqlite.fresh(tmp_path, migrated=False)
        return
    postgres: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name, url = postgres.fresh(migrated=False)
    yield url
    postgres.drop(name)


def test_migrations_build_the_schema_from_empty(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = sync_engine_for(empty_database_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert current_revisions(connection) == head_revisions()
    finally:
        engine.dispose()
    assert {"users", "orgs", "memberships", "alembic_version"} <= tables
    # Running again changes nothing and does not fail (serve migrates on every start).
    upgrade_to_head(empty_database_url)


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    """The equivalent of `alembic check`: autogenerate would write an empty migration."""
    engine = sync_engine_for(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], f"models differ from migrations; add one: {differences}"


def test_migrations_downgrade_to_empty_and_back(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    engine = sync_engine_for(database_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade_to_head(database_url)


def test_migration_files_are_dated_and_form_one_line() -> None:
    names = sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert names, "no migrations found"
    for name in names:
        assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\d{4}-[0-9a-z]+_[0-9a-z_]+\.py", name), name
    assert len(head_revisions()) == 1, "migrations have branched: merge the heads"


def test_foreign_keys_are_enforced_on_sqlite_too(database_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = sync_engine_for(database_url)
    try:
        with engine.connect() as connection, pytest.raises(IntegrityError):
            connection.execute(
                text(
                    "INSERT INTO memberships (id, org_id, user_id, role, created_at, updated_at)"
                    " VALUES (:id, :org, :user, 'owner', :now, :now)"
                ),
                {
                    "id": "0" * 32,
                    "org": "1" * 32,
                    "user": "2" * 32,
                    "now": "2026-01-01 00:00:00",
                },
            )
    finally:
        engine.dispose()
