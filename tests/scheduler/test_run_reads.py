"""Reading a run (GET …/monitors/{monitor}/runs/{run}): each run is its own, and another
org's run is a 404 whichever org the caller names."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import DigestRun, Monitor, Org
from tests.conftest import Personas, SignIn


async def _monitor_with_runs(
    session: AsyncSession, org: Org, name: str
) -> tuple[Monitor, DigestRun, DigestRun]:
    monitor = Monitor(org_id=org.id, name=name, source="acme/app", source_kind="github")
    session.add(monitor)
    await session.flush()
    now = utcnow()
    failed = DigestRun(
        org_id=org.id,
        monitor_id=monitor.id,
        period_since=now - timedelta(days=2),
        period_until=now - timedelta(days=1),
        trigger="schedule",
        state="failed",
        error=f"{name}: GitHub said 404",
        not_before=now - timedelta(days=1),
        finished_at=now,
    )
    queued = DigestRun(
        org_id=org.id,
        monitor_id=monitor.id,
        period_since=now - timedelta(days=1),
        period_until=now,
        trigger="manual",
        state="queued",
        not_before=now,
    )
    session.add_all([failed, queued])
    await session.flush()
    return monitor, failed, queued


async def test_each_run_reads_as_itself_and_another_orgs_run_is_not_found(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    ours, failed, queued = await _monitor_with_runs(session, personas.org, "ours")
    theirs, their_failed, _ = await _monitor_with_runs(session, personas.other_org, "theirs")
    await session.commit()
    viewer, outsider = await sign_in(personas.viewer), await sign_in(personas.outsider)

    for run, state, error in (
        (failed, "failed", "ours: GitHub said 404"),
        (queued, "queued", None),
    ):
        read = await viewer.get(f"/api/orgs/acme/monitors/{ours.id}/runs/{run.id}")
        assert read.status_code == 200
        assert (read.json()["id"], read.json()["state"], read.json()["error"]) == (
            str(run.id),
            state,
            error,
        )

    # Each org reads its own runs only, whichever of the two it names.
    mine = await outsider.get(f"/api/orgs/globex/monitors/{theirs.id}/runs/{their_failed.id}")
    assert mine.json()["error"] == "theirs: GitHub said 404"
    for slug, monitor, run in (
        ("globex", ours, failed),
        ("acme", ours, failed),
        ("globex", theirs, failed),
    ):
        response = await outsider.get(f"/api/orgs/{slug}/monitors/{monitor.id}/runs/{run.id}")
        assert response.status_code == 404, (slug, monitor.name)
    leaked = await viewer.get(f"/api/orgs/acme/monitors/{theirs.id}/runs/{their_failed.id}")
    assert leaked.status_code == 404
    # A run read under another monitor of the org is not found either.
    other = await viewer.get(f"/api/orgs/acme/monitors/{theirs.id}/runs/{failed.id}")
    assert other.status_code == 404
