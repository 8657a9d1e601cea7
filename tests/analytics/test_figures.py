"""Analytics reads each digest's figures from a narrow row (digest_figures) written with
the digest: it must say what the digest's metrics say, however the digest was stored,
and the migration's backfill must fill it alike for the digests made before it, on
SQLite and Postgres."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import httpx
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.db import MIGRATIONS_DIR
from infrasync.models import DigestFigures, DigestRecord
from tests.analytics.world import UNKNOWN_TO_GIT, add_digest, add_monitor, at
from tests.conftest import Personas, SignIn


def _migration() -> ModuleType:
    path = next((MIGRATIONS_DIR / "versions").glob("*-0016_digest_figures.py"))
    spec = importlib.util.spec_from_file_location("digest_figures_0016", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    session.expire_all()
    found = await session.scalars(select(DigestFigures).order_by(DigestFigures.period_since))
    columns = [column.key for column in DigestFigures.__table__.columns]
    return [tuple(getattr(row, name) for name in columns) for row in found]


async def test_every_stored_digest_has_its_figures_and_the_backfill_agrees(
    session: AsyncSession, personas: Personas
) -> None:
    github = await add_monitor(session, personas.org, "GitHub")
    local = await add_monitor(session, personas.org, "Local")
    busy = await add_digest(
        session,
        github,
        at("2026-10-05"),
        commits=12,
        authors=3,
        prs_merged=4,
        prs_open_at_end=7,
        first_time_contributors=1,
        merge=5.5,
        merge_p90=30.25,
        review=2.0,
    )
    await add_digest(session, local, at("2026-10-12"), commits=3, **UNKNOWN_TO_GIT)
    await add_digest(session, github, at("2026-10-14"), trigger="manual", prs_merged=1)
    busy_id, local_id = busy.id, local.id
    await session.commit()

    written = await _rows(session)
    assert len(written) == 3
    first = await session.get(DigestFigures, busy_id)
    assert first is not None
    assert (first.commits, first.authors, first.prs_merged, first.prs_open_at_end) == (12, 3, 4, 7)
    assert (first.time_to_merge_hours_median, first.time_to_merge_hours_p90) == (5.5, 30.25)
    assert first.time_to_first_review_hours_median == 2.0
    assert first.scheduled is True
    from_git = await session.scalar(
        select(DigestFigures).where(DigestFigures.monitor_id == local_id)
    )
    assert from_git is not None
    # What git cannot know stays unknown (null), never 0.
    assert (from_git.commits, from_git.prs_merged, from_git.time_to_merge_hours_median) == (
        3,
        None,
        None,
    )

    # The digests as the migration found them: no figures yet, then its backfill.
    await session.execute(delete(DigestFigures))
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    await session.execute(text(_migration().backfill_sql(dialect)))
    await session.commit()
    assert await _rows(session) == written


async def test_a_digest_gone_takes_its_figures_and_the_series_with_it(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await add_monitor(session, personas.org, "GitHub")
    record = await add_digest(session, monitor, at("2026-10-05"), prs_merged=4)
    record_id = record.id
    await session.commit()
    viewer = await sign_in(personas.viewer)
    params = {"metric": "prs_merged", "since": "2026-10-05", "until": "2026-10-12"}
    before: httpx.Response = await viewer.get("/api/orgs/acme/analytics", params=params)
    assert [p["value"] for p in before.json()["points"]] == [4]

    await session.execute(delete(DigestRecord).where(DigestRecord.id == record_id))
    await session.commit()
    assert await _rows(session) == []
    after = await viewer.get("/api/orgs/acme/analytics", params=params)
    assert [p["value"] for p in after.json()["points"]] == [None]
