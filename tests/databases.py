"""Throwaway databases for tests: one migrated template per run, a fresh copy per test.

A fresh database per test (rather than a rolled-back transaction) lets tests use the app
exactly as production does — its own engine, real commits, several connections at once —
and costs a file copy on SQLite or a `CREATE DATABASE … TEMPLATE` on Postgres.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from infrasync.db import upgrade_to_head
from infrasync.kit.urls import normalize_database_url

TEST_DATABASE_URL_VARIABLE = "INFRASYNC_TEST_DATABASE_URL"


def postgres_admin_url() -> str | None:
    """The Postgres server the tests may create databases on, when one is configured."""
    raw = os.environ.get(TEST_DATABASE_URL_VARIABLE, "").strip()
    return normalize_database_url(raw) if raw else None


def _libpq_conninfo(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _autocommit(url: str) -> Iterator[psycopg.Connection]:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(_libpq_conninfo(url), autocommit=True) as connection:
        yield connection


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


class PostgresDatabases:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.template = f"infrasync_template_{uuid.uuid4().hex[:10]}"

    def create_template(self) -> None:
        self.create(self.template, template=None)
        upgrade_to_head(with_database(self.admin_url, self.template))

    def create(self, name: str, template: str | None) -> str:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with _autocommit(self.admin_url) as connection:
            connection.execute(statement)
        return with_database(self.admin_url, name)

    def fresh(self, *, migrated: bool = True) -> tuple[str, str]:
        name = f"infrasync_test_{uuid.uuid4().hex[:12]}"
        return name, self.create(name, self.template if migrated else None)

    def drop(self, name: str) -> None:
        with _autocommit(self.admin_url) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class SqliteDatabases:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"

    def create_template(self) -> None:
        upgrade_to_head(normalize_database_url(f"sqlite:///{self.template}"))

    def fresh(self, directory: Path, *, migrated: bool = True) -> str:
        path = directory / "infrasync.db"
        if migrated:
            shutil.copyfile(self.template, path)
        return normalize_database_url(f"sqlite:///{path}")
