"""DELETE /api/orgs/{org} and POST /api/orgs/{org}/restore (SPEC §4, §5): owners only; the
next request of every member is a 404 and of every key a 401; queued runs and pending
deliveries stop; a restore within INFRASYNC_RETENTION_DAYS makes the org whole again,
after it the org is gone (404). The clock is moved by moving `deleted_at` back."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.delivery import service as delivery_service
from infrasync.delivery.service import DeliveryPolicy
from infrasync.kit.time import utcnow
from infrasync.models import Delivery, DigestRun, Monitor, Org
from infrasync.scheduler import service as scheduler_service
from tests.compliance import world
from tests.conftest import Personas, SignIn, client_with

RETENTION = timedelta(days=30)  # the default INFRASYNC_RETENTION_DAYS


async def _key(owner: httpx.AsyncClient) -> str:
    made = await owner.post("/api/orgs/acme/api-keys", json={"name": "CI", "role": "admin"})
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


async def _fresh(session: AsyncSession, row: object) -> None:
    await session.refresh(row)


async def test_deleting_an_org_ends_every_way_in_on_the_next_request(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    owner = await sign_in(personas.owner)
    member = await sign_in(personas.member)
    key = await _key(owner)
    assert (await member.get("/api/orgs/acme/monitors")).status_code == 200

    assert (await owner.delete("/api/orgs/acme")).status_code == 204

    # The very next request: members 404 on everything, owners too (but restore), keys 401.
    for http in (member, owner):
        assert (await http.get("/api/orgs/acme")).status_code == 404
        assert (await http.get("/api/orgs/acme/monitors")).status_code == 404
        assert (await http.get("/api/orgs/acme/audit")).status_code == 404
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme/monitors")).status_code == 401
    # Gone from everyone's list; kept, restorable, in the owner's list of deleted orgs.
    assert (await member.get("/api/orgs")).json() == []
    assert (await member.get("/api/orgs", params={"include_deleted": "true"})).json() == []
    (listed,) = (await owner.get("/api/orgs", params={"include_deleted": "true"})).json()
    org = await session.scalar(select(Org).where(Org.slug == "acme"))
    assert org is not None
    assert org.deleted_at is not None
    assert listed["deleted_at"] is not None
    assert listed["restorable_until"] is not None
    restorable_until = listed["restorable_until"].replace("Z", "+00:00")
    assert restorable_until == (org.deleted_at + RETENTION).isoformat()


async def test_deleting_an_org_stops_its_queued_runs_and_pending_deliveries(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    monitor = await world.monitor(session, personas.org, personas.owner)
    run = await world.queued_run(session, personas.org, monitor, personas.member)
    made = await world.digest(session, personas.org, monitor, personas.member)
    channel = await world.email_channel(session, personas.org, ["team@example.test"])
    delivery = await world.pending_delivery(session, personas.org, made, channel)
    other_monitor = await world.monitor(session, personas.other_org, personas.outsider)
    elsewhere = await world.queued_run(session, personas.other_org, other_monitor, None)
    await session.commit()
    owner = await sign_in(personas.owner)

    assert (await owner.delete("/api/orgs/acme")).status_code == 204

    for row in (run, delivery, elsewhere):
        await session.refresh(row)
    assert (run.state, run.error) == ("failed", "Stopped: the org was deleted.")
    assert delivery.state == "cancelled"
    assert elsewhere.state == "queued"  # another org's queue is untouched
    (deleted,) = (await session.scalars(select(DigestRun).where(DigestRun.id == run.id))).all()
    assert deleted.finished_at is not None
    assert (await session.scalar(select(Delivery.state).where(Delivery.id == delivery.id))) == (
        "cancelled"
    )


async def test_a_delivery_being_sent_when_its_org_is_deleted_is_cancelled(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    """A worker that claimed it just before the deletion sends nothing: it finds the org
    deleted and cancels, rather than posting (or, failing, retrying for hours)."""
    monitor = await world.monitor(session, personas.org, personas.owner)
    made = await world.digest(session, personas.org, monitor, None)
    channel = await world.email_channel(session, personas.org, ["team@example.test"])
    delivery = await world.pending_delivery(session, personas.org, made, channel)
    delivery.state, delivery.claimed_by = "sending", "worker-1"
    delivery.lease_until = utcnow() + timedelta(minutes=5)
    await session.commit()
    owner = await sign_in(personas.owner)
    assert (await owner.delete("/api/orgs/acme")).status_code == 204

    async with app.state.session_factory() as worker_session:
        state = await delivery_service.send(
            worker_session, app.state.settings, delivery.id, "worker-1", DeliveryPolicy()
        )

    assert state == "cancelled"
    await session.refresh(delivery)
    assert (delivery.state, delivery.last_error) == ("cancelled", "The org was deleted.")


async def test_a_restore_within_the_window_makes_the_org_whole_again(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    owner = await sign_in(personas.owner)
    member = await sign_in(personas.member)
    key = await _key(owner)
    scheduled = await owner.post(
        "/api/orgs/acme/monitors",
        json={"source": "acme/app", "schedule": {"kind": "daily", "at": "09:00"}},
    )
    assert scheduled.status_code == 201, scheduled.text
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    # A day short of the retention period, with a schedule that fell due meanwhile.
    org = await session.scalar(select(Org).where(Org.slug == "acme"))
    assert org is not None
    assert org.deleted_at is not None
    org.deleted_at = utcnow() - RETENTION + timedelta(days=1)
    monitor = await session.get(Monitor, uuid.UUID(scheduled.json()["id"]))
    assert monitor is not None
    monitor.next_run_at = utcnow() - timedelta(days=20)
    await session.commit()

    restored = await owner.post("/api/orgs/acme/restore")

    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert (await member.get("/api/orgs/acme/monitors")).status_code == 200
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        assert (await robot.get("/api/orgs/acme/monitors")).status_code == 200
    # The schedule goes on from its next fire, not with twenty days of catch-up.
    await session.refresh(monitor)
    assert monitor.next_run_at is not None
    assert monitor.next_run_at > utcnow()
    actions = [e["action"] for e in (await owner.get("/api/orgs/acme/audit")).json()["items"]]
    assert actions[:2] == ["org.restore", "org.delete"]
    assert (await owner.post("/api/orgs/acme/restore")).status_code == 409  # not deleted


async def test_after_the_window_an_org_cannot_be_restored(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    owner = await sign_in(personas.owner)
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    org = await session.scalar(select(Org).where(Org.slug == "acme"))
    assert org is not None
    org.deleted_at = utcnow() - RETENTION - timedelta(seconds=1)
    await session.commit()

    assert (await owner.post("/api/orgs/acme/restore")).status_code == 404
    assert (await owner.get("/api/orgs/acme")).status_code == 404


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
async def test_only_owners_delete_an_org(
    sign_in: SignIn, personas: Personas, app: FastAPI, who: str
) -> None:
    http = await sign_in(getattr(personas, who))
    refused = await http.delete("/api/orgs/acme")
    assert refused.status_code == 403
    assert "owner" in refused.json()["detail"]
    async with client_with(app) as nobody:
        assert (await nobody.delete("/api/orgs/acme")).status_code == 401
    outsider = await sign_in(personas.outsider)
    assert (await outsider.delete("/api/orgs/acme")).status_code == 404
    assert (await outsider.post("/api/orgs/acme/restore")).status_code == 404
    assert (await http.get("/api/orgs/acme")).status_code == 200  # nothing happened


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
async def test_a_deleted_org_exists_for_its_owners_only(
    sign_in: SignIn, personas: Personas, who: str
) -> None:
    owner = await sign_in(personas.owner)
    http = await sign_in(getattr(personas, who))
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    assert (await http.post("/api/orgs/acme/restore")).status_code == 404
    assert (await http.delete("/api/orgs/acme")).status_code == 404
    outsider = await sign_in(personas.outsider)
    assert (await outsider.post("/api/orgs/acme/restore")).status_code == 404


async def test_a_deleted_orgs_due_monitors_show_no_queue_lag(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    """No worker claims them while the org is deleted, so they are not waiting work: the
    queue-lag gauge (and its alert) must not count them for the weeks until a purge."""
    owner = await sign_in(personas.owner)
    made = await owner.post(
        "/api/orgs/acme/monitors",
        json={"source": "acme/app", "schedule": {"kind": "daily", "at": "09:00"}},
    )
    assert made.status_code == 201, made.text
    monitor = await session.get(Monitor, uuid.UUID(made.json()["id"]))
    assert monitor is not None
    monitor.next_run_at = utcnow() - timedelta(hours=3)
    await session.commit()
    assert (await scheduler_service.figures(session)).queue_lag_seconds > 2 * 3600

    assert (await owner.delete("/api/orgs/acme")).status_code == 204

    assert (await scheduler_service.figures(session)).queue_lag_seconds == 0.0
