"""The purge also prunes digests older than the history of their org's plan in force
(billing/plans.py: free 30 days, pro 365); a self-hosted server has no plan and keeps
every digest. Deliveries go with their digest; the digest run stays, its link null."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.compliance import service as compliance
from infrasync.config import Settings
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord, OrgBilling
from tests.compliance import world
from tests.conftest import Personas


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"billing_mode": "saas"}


async def _purge(app: FastAPI, settings: Settings, *, dry_run: bool = False) -> int:
    async with app.state.session_factory() as session:
        report = await compliance.purge(session, settings, utcnow(), dry_run=dry_run)
        await session.commit()
    return report.digests


async def _digests_aged(session: AsyncSession, personas: Personas) -> dict[object, tuple[str, int]]:
    """Digests of 29, 31 and 400 days in a free org (Acme) and a pro one (Globex)."""
    free, pro = personas.org, personas.other_org
    session.add(OrgBilling(org_id=pro.id, plan="pro", subscription_status="active"))
    ages: dict[object, tuple[str, int]] = {}
    for org in (free, pro):
        monitor = await world.monitor(session, org, None)
        for days in (29, 31, 400):
            made = await world.digest(
                session, org, monitor, None, created_at=utcnow() - timedelta(days=days)
            )
            ages[made.id] = (org.slug, days)
    await session.commit()
    return ages


async def _kept(session: AsyncSession, ages: dict[object, tuple[str, int]]) -> set[tuple[str, int]]:
    session.expunge_all()
    return {ages[d] for d in (await session.scalars(select(DigestRecord.id))).all()}


async def test_digests_beyond_the_plans_history_are_pruned(
    personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    ages = await _digests_aged(session, personas)
    settings = app.state.settings

    counted = await _purge(app, settings, dry_run=True)
    assert len(await _kept(session, ages)) == 6  # the dry run took nothing
    pruned = await _purge(app, settings)

    assert counted == pruned == 3
    assert await _kept(session, ages) == {("acme", 29), ("globex", 29), ("globex", 31)}


async def test_a_self_hosted_server_keeps_every_digest(
    personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    ages = await _digests_aged(session, personas)
    self_hosted = app.state.settings.model_copy(update={"billing_mode": "self_hosted"})

    assert await _purge(app, self_hosted) == 0

    assert len(await _kept(session, ages)) == 6
