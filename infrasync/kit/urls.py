"""Database URLs as users paste them, turned into the drivers Infrasync ships with.

SQLAlchemy parses them, imported only when a URL is parsed: settings and the command
line import this module, and loading SQLAlchemy (a third of a second on a busy machine)
would slow every command, `--help` and a local digest included, that never opens a
database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_POSTGRES_NAMES = {"postgres", "postgresql"}
# `?pooler=transaction` on a Postgres URL: a connection pooler in transaction mode sits in
# front of the server (infrasync.db turns server-side prepared statements off). Ours, not
# libpq's: infrasync.db takes it off the URL before psycopg sees it.
POOLER_PARAMETER = "pooler"
POOLER_MODES = frozenset({"transaction", "session"})


def _parse(raw: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(raw)
    except ArgumentError:
        raise ValueError(
            "is not a database URL; use sqlite:///path/to/file.db or "
            "postgresql://user:password@host:5432/database"
        ) from None


def normalize_database_url(raw: str) -> str:
    """The async URL for `raw`: aiosqlite for SQLite, psycopg 3 for Postgres.

    Accepts `sqlite:///…`, `postgresql://…`, `postgres://…` (Heroku's spelling) and any
    driver suffix, since users copy these from a provider's dashboard.
    """
    url = _parse(raw)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError(
                "an in-memory SQLite database is lost on every connection; "
                "give a file path such as sqlite:///./infrasync.db"
            )
        url = url.set(drivername="sqlite+aiosqlite")
    elif backend in _POSTGRES_NAMES:
        url = url.set(drivername="postgresql+psycopg")
        pooler = url.query.get(POOLER_PARAMETER)
        if pooler is not None and pooler not in POOLER_MODES:
            raise ValueError(
                f"?{POOLER_PARAMETER}= must be one of {', '.join(sorted(POOLER_MODES))} "
                f"(transaction for pgbouncer, Supabase's pooler or RDS Proxy), not {pooler!r}"
            )
    else:
        raise ValueError(f"the {backend!r} database is not supported; use SQLite or PostgreSQL")
    return url.render_as_string(hide_password=False)


def sync_database_url(async_url: str) -> str:
    """The blocking twin of a normalized URL, for Alembic and other one-shot tools."""
    from sqlalchemy.engine import make_url

    url = make_url(async_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    # psycopg 3 serves both: SQLAlchemy picks its sync or async dialect by the engine.
    return url.render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """`url` with its password masked, safe to log."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
