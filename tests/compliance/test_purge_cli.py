"""`infrasync admin purge [--dry-run]` as an operator runs it: a real process on SQLite and
Postgres, the counts on stdout and in one log line on stderr; --dry-run changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from infrasync.db import create_engine_for, session_factory
from infrasync.kit.time import utcnow
from infrasync.models import Org, User
from infrasync.models.membership import Role
from tests.factories import add_member, make_org, make_user
from tests.live_server import run_cli


async def _seed(database_url: str) -> None:
    engine = create_engine_for(database_url)
    async with session_factory(engine)() as session:
        long_ago = utcnow() - timedelta(days=31)
        for login in ("gone-1", "gone-2"):
            user = await make_user(session, login)
            user.deleted_at = long_ago
        recent = await make_user(session, "recent")
        recent.deleted_at = utcnow() - timedelta(days=1)
        old = await make_org(session, "Old")
        old.deleted_at = long_ago
        live = await make_org(session, "Live")
        await add_member(session, live, recent, Role.OWNER)
        await session.commit()
    await engine.dispose()


async def _left(database_url: str) -> tuple[int, int]:
    engine = create_engine_for(database_url)
    async with session_factory(engine)() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        orgs = await session.scalar(select(func.count()).select_from(Org))
    await engine.dispose()
    return int(users or 0), int(orgs or 0)


def _log_line(stderr: str) -> dict[str, object]:
    (line,) = [line for line in stderr.splitlines() if '"event": "purge"' in line]
    parsed: dict[str, object] = json.loads(line)
    return parsed


async def test_purge_and_its_dry_run_as_an_operator_runs_them(
    database_url: str, tmp_path: Path
) -> None:
    await _seed(database_url)
    env = {"INFRASYNC_DATABASE_URL": database_url, "INFRASYNC_LOG_FORMAT": "json"}

    dry = run_cli("admin", "purge", "--dry-run", cwd=tmp_path, **env)

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("infrasync: would purge 2 user(s) and 1 org(s) soft-deleted")
    assert (_log_line(dry.stderr)["users"], _log_line(dry.stderr)["orgs"]) == (2, 1)
    assert await _left(database_url) == (3, 2)  # nothing changed

    real = run_cli("admin", "purge", cwd=tmp_path, **env)

    assert real.returncode == 0, real.stderr
    assert real.stdout.startswith("infrasync: purged 2 user(s) and 1 org(s) soft-deleted")
    logged = _log_line(real.stderr)
    assert (logged["users"], logged["orgs"], logged["dry_run"]) == (2, 1, False)
    assert await _left(database_url) == (1, 1)
    again = run_cli("admin", "purge", cwd=tmp_path, **env)
    assert again.stdout.startswith("infrasync: purged 0 user(s) and 0 org(s)")
