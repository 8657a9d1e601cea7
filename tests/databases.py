"""Throwaway databases for tests: one migrated template per run, a fresh copy per test.

A fresh database per test (rather than a rolled-back transaction) lets tests use the app
exactly as production does — its own engine, real commits, several connections at once —
and costs a file copy on SQLite. On Postgres a `CREATE DATABASE … TEMPLATE` and its
`DROP` (or a TRUNCATE, which makes new files too) wait most of a second on the disk with
fsync on, so a test hands its database back instead: its rows are deleted, its
sequences restarted, and it is lent again only if it then reads exactly as a fresh copy
of the template does (same schema, migration, privileges and settings, no rows);
anything else is dropped.
"""

from __future__ import annotations

import graphlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from infrasync.db import VERSION_TABLE, upgrade_to_head
from infrasync.kit.urls import normalize_database_url

TEST_DATABASE_URL_VARIABLE = "INFRASYNC_TEST_DATABASE_URL"


# `make test-pgbouncer`: host:port of a pgbouncer in transaction mode in front of the same
# server. The app under test then connects through it (`?pooler=transaction`); the
# tests' own CREATE/DROP DATABASE still go straight to the server. Read at import: the
# tests' isolated environment removes INFRASYNC_* variables before each test.
TEST_POOLER_VARIABLE = "INFRASYNC_TEST_POOLER"
TEST_POOLER = os.environ.get(TEST_POOLER_VARIABLE, "").strip() or None


def through_pooler(url: str) -> str:
    """The app's URL for a test database: through the pooler when one is configured."""
    if TEST_POOLER is None:
        return url
    host, _, port = TEST_POOLER.rpartition(":")
    parsed = make_url(url).set(host=host, port=int(port))
    return parsed.update_query_dict({"pooler": "transaction"}).render_as_string(hide_password=False)


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
        self._spares: list[str] = []
        self._fresh_fingerprint: str | None = None

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

    def lend(self) -> tuple[str, str]:
        """A database that reads exactly as a fresh copy of the template: one handed back
        by an earlier test, or a new copy. Return it with `give_back`."""
        if self._spares:
            name = self._spares.pop()
            return name, with_database(self.admin_url, name)
        name, url = self.fresh()
        if self._fresh_fingerprint is None:
            with _autocommit(url) as connection:
                self._fresh_fingerprint = _fingerprint(connection)
        return name, url

    def give_back(self, name: str) -> None:
        """Empties a lent database for the next test, or drops it if it cannot be made to
        read as fresh (a test changed its schema, its migration, its settings…)."""
        try:
            with _autocommit(with_database(self.admin_url, name)) as connection:
                as_fresh = _empty(connection) and _fingerprint(connection) == (
                    self._fresh_fingerprint
                )
        except psycopg.Error:
            as_fresh = False
        if as_fresh:
            self._spares.append(name)
        else:
            self.drop(name)

    def drop_spares(self) -> None:
        while self._spares:
            self.drop(self._spares.pop())


# Every table a test could have written to: ordinary and partitioned tables outside the
# system schemas, the migration's own bookkeeping aside (the fingerprint checks it).
# (The queries below are built from these constants alone.)
_USER_SCHEMA = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
)
_TABLES = f"""
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND {_USER_SCHEMA}
      AND NOT (n.nspname = 'public' AND c.relname = '{VERSION_TABLE}')
"""  # noqa: S608
_FOREIGN_KEYS = """
    SELECT cn.nspname, child.relname, pn.nspname, parent.relname
    FROM pg_constraint k
    JOIN pg_class child ON child.oid = k.conrelid
    JOIN pg_namespace cn ON cn.oid = child.relnamespace
    JOIN pg_class parent ON parent.oid = k.confrelid
    JOIN pg_namespace pn ON pn.oid = parent.relnamespace
    WHERE k.contype = 'f' AND k.conrelid <> k.confrelid
"""


def _empty(connection: psycopg.Connection) -> bool:
    """Deletes every row (children before parents) and restarts every sequence; True
    when no row is left. A DELETE of a few rows costs one WAL flush, a TRUNCATE new files."""
    connection.execute("SET lock_timeout = '10s'")
    # As DROP DATABASE … WITH (FORCE) would: nothing a test left open holds a lock.
    connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    tables = [(schema, table) for schema, table in connection.execute(_TABLES)]
    referenced_by: dict[tuple[str, str], set[tuple[str, str]]] = {t: set() for t in tables}
    for child_schema, child, parent_schema, parent in connection.execute(_FOREIGN_KEYS):
        referenced_by.setdefault((parent_schema, parent), set()).add((child_schema, child))
    try:
        order = list(graphlib.TopologicalSorter(referenced_by).static_order())
    except graphlib.CycleError:
        return False
    known = set(tables)
    children_first = [table for table in order if table in known]
    with connection.transaction():
        for schema, table in _with_rows(connection, children_first):
            connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table)))
        connection.execute(
            "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
            " FROM pg_sequences WHERE last_value IS NOT NULL"
        )
    return not _with_rows(connection, tables)


def _with_rows(
    connection: psycopg.Connection, tables: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The tables that hold a row, in the order given."""
    if not tables:
        return []
    probes = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} WHERE EXISTS (SELECT FROM {})").format(
            sql.Literal(position), sql.Identifier(schema, table)
        )
        for position, (schema, table) in enumerate(tables)
    )
    with_rows = {position for (position,) in connection.execute(probes)}
    return [table for position, table in enumerate(tables) if position in with_rows]


# What makes a database read as a fresh copy of the template, besides having no rows:
# its objects and their definitions, owners and privileges, its migration, its sequences'
# state and its own settings. Names, not OIDs, so a table dropped and made again the same
# way still counts as the same.
_FINGERPRINT = f"""
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
    SELECT format('schema %s %s %s', n.nspname, n.nspowner::regrole, n.nspacl) AS item
    FROM pg_namespace n WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('relation %s.%s %s %s %s %s %s %s %s', n.nspname, c.relname, c.relkind,
                  c.relowner::regrole, c.relacl, c.reloptions, c.relpersistence,
                  c.relrowsecurity, c.relispopulated)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('column %s.%s %s %s %s %s %s %s %s %s %s', n.nspname, c.relname, a.attnum,
                  a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid), a.attisdropped, a.attidentity,
                  a.attgenerated, a.attacl)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND {_USER_SCHEMA}
  UNION ALL
    SELECT format('constraint %s %s %s', k.conrelid::regclass, k.conname,
                  pg_get_constraintdef(k.oid))
    FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('trigger %s %s', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL
    SELECT format('rule %s', pg_get_ruledef(r.oid))
    FROM pg_rewrite r
    JOIN pg_class c ON c.oid = r.ev_class
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('policy %s %s %s %s', p.polrelid::regclass, p.polname,
                  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    FROM pg_policy p
  UNION ALL
    SELECT format('routine %s %s %s %s', p.oid::regprocedure, p.prokind, md5(p.prosrc),
                  p.proacl)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('type %s.%s %s', n.nspname, t.typname, t.typtype)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {_USER_SCHEMA}
  UNION ALL
    SELECT format('enum %s %s %s', e.enumtypid::regtype, e.enumsortorder, e.enumlabel)
    FROM pg_enum e
  UNION ALL
    SELECT format('extension %s %s', x.extname, x.extversion) FROM pg_extension x
  UNION ALL
    SELECT format('sequence %s.%s %s', s.schemaname, s.sequencename, s.last_value)
    FROM pg_sequences s
  UNION ALL
    SELECT format('migration %s', v.version_num) FROM public.{VERSION_TABLE} v
  UNION ALL
    SELECT format('database %s %s %s', d.datacl, d.datallowconn, d.datconnlimit)
    FROM pg_database d WHERE d.datname = current_database()
  UNION ALL
    SELECT format('settings %s %s', s.setrole, s.setconfig)
    FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = current_database()
  UNION ALL
    SELECT format('comment %s %s %s %s', c.classoid::regclass, c.objoid, c.objsubid,
                  c.description)
    FROM pg_description c WHERE c.objoid >= 16384
  UNION ALL
    SELECT format('large objects %s', count(*)) FROM pg_largeobject_metadata
) items
"""  # noqa: S608


def _fingerprint(connection: psycopg.Connection) -> str:
    row = connection.execute(_FINGERPRINT).fetchone()
    assert row is not None
    fingerprint: str = row[0]
    return fingerprint


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
