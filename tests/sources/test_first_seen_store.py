"""A local monitor keeps its repository's first-seen cache in the database: its runs
after the first call a newcomer new without a walk of the whole history, and a history
rewritten between runs (a force-push) is noticed, on SQLite and Postgres alike."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models.local_first_seen import LocalFirstSeen
from infrasync.sources.first_seen import FirstSeen
from tests.conftest import Personas, SignIn
from tests.sources.histories import build_history
from tests.sources.test_first_seen_cache import history

DAY = 86400


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": Fernet.generate_key().decode()}


def head(path: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


async def kept(session: AsyncSession, monitor_id: str) -> FirstSeen | None:
    session.expire_all()
    row = await session.get(LocalFirstSeen, uuid.UUID(monitor_id))
    return None if row is None else FirstSeen.from_json(row.document)


async def test_a_local_monitor_keeps_its_cache_and_notices_a_rewrite(
    sign_in: SignIn, personas: Personas, session: AsyncSession, tmp_path: Path
) -> None:
    path, rewritten = tmp_path / "project", tmp_path / "rewritten"
    planned = history(400, nova_early=True)  # Nova committed first, long ago
    build_history(path, planned)
    build_history(rewritten, history(400))  # that commit a regular's: Nova is new
    member = await sign_in(personas.member)
    created = await member.post(
        "/api/orgs/acme/monitors", json={"source": str(path), "writer": "builtin"}
    )
    assert created.status_code == 201, created.text
    monitor_id = created.json()["id"]
    run = f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true"
    until = datetime.fromtimestamp(planned[-1].committed + DAY, UTC).date()

    async def newcomers(weeks_back: int, days: int = 7) -> int:
        end = until - timedelta(days=7 * weeks_back)
        period = {"since": str(end - timedelta(days=days)), "until": str(end)}
        made = await member.post(run, json=period)
        assert made.status_code == 201, made.text
        count: int = made.json()["metrics"]["first_time_contributors"]
        return count

    assert await newcomers(1) == 0  # the regulars' week before Nova's
    first = await kept(session, monitor_id)
    assert first is not None
    assert first.tip == head(path)
    assert await newcomers(0) == 0  # Nova's week: her early commit says she is no newcomer
    assert (await kept(session, monitor_id)).bounds["email:nova@example.com"][1] == (  # type: ignore[union-attr]
        planned[0].committed
    )

    subprocess.run(
        ["git", "-C", str(path), "fetch", "-q", str(rewritten), "main:refs/heads/rewritten"],
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "rewritten"], check=True)
    # Another period with Nova's week in it: the kept cache (Nova seen long ago) no
    # longer holds, and she is the newcomer she now is.
    assert await newcomers(0, days=14) == 1
    assert (await kept(session, monitor_id)).tip == head(path)  # type: ignore[union-attr]
