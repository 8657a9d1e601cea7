"""A downgrade never deletes data: the newest active monitors beyond the free limit are
paused, the billing page lists them, and the audit log says so with Stripe's event id.
The past_due grace runs out by the clock (moved here, not waited for)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.billing import service as billing_service
from infrasync.billing.plans import PAST_DUE_GRACE, PLANS
from infrasync.kit.time import utcnow
from infrasync.models import Channel, Delivery, DigestRecord, Monitor, OrgBilling
from tests.billing.conftest import become_customer, deliver, now_seconds, plan, recorded
from tests.conftest import Personas, SignIn
from tests.fakes.stripe_api import FakeStripe

DAY = 86400


async def _pro_with_monitors(
    owner: httpx.AsyncClient,
    session: AsyncSession,
    personas: Personas,
    fake: FakeStripe,
    count: int,
) -> list[Monitor]:
    await become_customer(owner)
    fake.put_subscription(recorded("subscription_created")["data"]["object"], status="active")
    await deliver(owner, recorded("subscription_created"))
    assert await plan(owner) == "pro"
    start = utcnow() - timedelta(days=30)
    monitors = [
        Monitor(
            org_id=personas.org.id,
            name=f"monitor {number}",
            source=f"acme/app{number}",
            source_kind="github",
            created_at=start + timedelta(days=number),
        )
        for number in range(count)
    ]
    session.add_all(monitors)
    await session.commit()
    return monitors


async def _audit(owner: httpx.AsyncClient, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await owner.get("/api/orgs/acme/audit", params={"action": action})
    ).json()["items"]
    return items


async def test_a_cancellation_pauses_the_newest_monitors_and_deletes_nothing(
    sign_in: SignIn, personas: Personas, session: AsyncSession, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    monitors = await _pro_with_monitors(owner, session, personas, stripe_fake, 5)
    stripe_fake.put_subscription(recorded("subscription_deleted")["data"]["object"])
    deleted = recorded("subscription_deleted")

    await deliver(owner, deleted)

    shown = (await owner.get("/api/orgs/acme/billing")).json()
    assert shown["plan"] == "free"
    newest_first = [m.name for m in reversed(monitors)]
    assert PLANS["free"].monitors == 3
    assert [m["name"] for m in shown["downgrade"]["paused_monitors"]] == newest_first[:2]
    listed = {m["name"]: m["paused"] for m in (await owner.get("/api/orgs/acme/monitors")).json()}
    assert listed == {m.name: m.name in newest_first[:2] for m in monitors}  # all five kept
    (paused,) = await _audit(owner, "billing.monitors_paused")
    assert paused["details"]["monitors"] == newest_first[:2]
    assert paused["details"]["stripe_event_id"] == deleted["id"]
    changes = await _audit(owner, "billing.plan_change")
    assert [(c["details"]["to"], c["details"]["stripe_event_id"]) for c in changes] == [
        ("free", deleted["id"]),
        ("pro", recorded("subscription_created")["id"]),
    ]


async def test_the_grace_runs_out_by_the_clock_and_the_worker_downgrades(
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
    stripe_fake: FakeStripe,
    app: FastAPI,
) -> None:
    owner = await sign_in(personas.owner)
    await _pro_with_monitors(owner, session, personas, stripe_fake, 4)
    period_start = now_seconds() - DAY
    stripe_fake.put_subscription(
        recorded("subscription_created")["data"]["object"],
        status="past_due",
        current_period_start=period_start,
    )
    updated = recorded("subscription_updated")
    await deliver(owner, updated)
    assert await plan(owner) == "pro"
    grace_ends = (await session.scalars(select(OrgBilling))).one().grace_ends_at
    assert grace_ends is not None
    assert grace_ends.timestamp() == period_start + PAST_DUE_GRACE.total_seconds()
    (status,) = await _audit(owner, "billing.subscription_status")
    assert status["details"]["to"] == "past_due"

    async with app.state.session_factory() as worker_session:
        before = await billing_service.end_lapsed_graces(
            worker_session, app.state.settings, grace_ends - timedelta(seconds=1)
        )
        await worker_session.commit()
        after = await billing_service.end_lapsed_graces(
            worker_session, app.state.settings, grace_ends + timedelta(seconds=1)
        )
        await worker_session.commit()

    assert (before, after) == (0, 1)
    assert await plan(owner) == "free"
    (change, _) = await _audit(owner, "billing.plan_change")
    assert change["details"]["reason"] == "grace_ended"
    assert change["details"]["stripe_event_id"] == updated["id"]
    monitors = (await owner.get("/api/orgs/acme/monitors")).json()
    assert sum(m["paused"] for m in monitors) == 1


async def test_limits_follow_the_plan_in_force_even_before_the_worker_runs(
    sign_in: SignIn, personas: Personas, session: AsyncSession, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    await _pro_with_monitors(owner, session, personas, stripe_fake, 3)
    daily = {"kind": "daily", "at": "09:00", "timezone": "UTC"}
    on_pro = await owner.post(
        "/api/orgs/acme/monitors", json={"source": "acme/more", "schedule": daily}
    )
    assert on_pro.status_code == 201, on_pro.text
    row = (await session.scalars(select(OrgBilling))).one()
    row.grace_ends_at = utcnow() - timedelta(seconds=1)  # the grace ended a moment ago
    await session.commit()

    response = await owner.post("/api/orgs/acme/monitors", json={"source": "acme/other"})

    assert response.status_code == 402
    assert await plan(owner) == "free"


async def test_this_months_digests_and_deliveries_are_counted(
    sign_in: SignIn, personas: Personas, session: AsyncSession, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    monitor = Monitor(org_id=personas.org.id, name="m", source="acme/app", source_kind="github")
    session.add(monitor)
    await session.flush()
    now = utcnow()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    records = []
    for created in (now, month_start, month_start - timedelta(seconds=1)):
        records.append(
            DigestRecord(
                org_id=personas.org.id,
                monitor_id=monitor.id,
                period_since=created - timedelta(days=7),
                period_until=created - timedelta(microseconds=created.microsecond + 1),
                repository={"name": "acme/app"},
                writer="builtin",
                text="t",
                metrics={"schema": 1},
                items={},
                trigger="manual",
                created_at=created,
            )
        )
    channel = Channel(org_id=personas.org.id, kind="email", name="c", addresses=["a@example.com"])
    session.add_all([*records, channel])
    await session.flush()
    for record, state, at in (
        (records[0], "delivered", now),
        (records[1], "failed", None),
        (records[2], "delivered", month_start - timedelta(seconds=1)),
    ):
        session.add(
            Delivery(
                org_id=personas.org.id,
                digest_id=record.id,
                channel_id=channel.id,
                state=state,
                next_attempt_at=now,
                delivered_at=at,
            )
        )
    await session.commit()

    shown = (await owner.get("/api/orgs/acme/billing")).json()

    assert shown["this_month"]["digests"] == 2
    assert shown["this_month"]["deliveries"] == 1
