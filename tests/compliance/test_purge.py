"""Purge (`infrasync admin purge [--dry-run]`, and the worker once a day): users and orgs
soft-deleted more than INFRASYNC_RETENTION_DAYS ago go for good; rows that referred to a
purged person stay and read fine through the API, the reference null and the name
"deleted user"; digests older than the org's plan keeps are pruned. Never an API route.
The clock is moved by giving purge its `now` and by moving `deleted_at` back."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.compliance import service as compliance
from infrasync.kit.db import Base
from infrasync.kit.time import utcnow
from infrasync.models import AuditEvent, DigestRecord, Invite, Monitor, Org, User
from infrasync.scheduler.worker import Worker
from tests.compliance import world
from tests.conftest import Personas, SignIn
from tests.factories import make_org, make_user

RETENTION = timedelta(days=30)


async def _purge(app: FastAPI, *, dry_run: bool = False) -> compliance.PurgeReport:
    async with app.state.session_factory() as session:
        report = await compliance.purge(session, app.state.settings, utcnow(), dry_run=dry_run)
        await session.commit()
    return report


async def _deleted_days_ago(session: AsyncSession, row: User | Org, days: float) -> None:
    await session.refresh(row)
    row.deleted_at = utcnow() - timedelta(days=days)
    await session.commit()


async def _counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def test_a_purged_persons_rows_stay_readable_with_the_reference_null(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    invited = await admin.post("/api/orgs/acme/invites", json={"role": "member"})
    assert invited.status_code == 201, invited.text
    monitor = await world.monitor(session, personas.org, personas.admin)
    made = await world.digest(session, personas.org, monitor, personas.admin)
    await session.commit()
    assert (await admin.delete("/api/me")).status_code == 204
    await _deleted_days_ago(session, personas.admin, RETENTION.days + 1)
    admin_id = personas.admin.id

    report = await _purge(app)

    assert (report.users, report.orgs) == (1, 0)
    session.expunge_all()
    assert await session.get(User, admin_id) is None
    owner = await sign_in(personas.owner)
    # The audit log: the admin's entries are there, the actor null and nameless.
    events = (await owner.get("/api/orgs/acme/audit")).json()["items"]
    by_them = [e for e in events if e["action"] == "invite.create"]
    assert [e["actor"] for e in by_them] == [{"type": "user", "id": None, "label": "deleted user"}]
    # The digest they ran reads fine; so do the monitor and the invite they made.
    digest = await owner.get(f"/api/orgs/acme/digests/{made.id}")
    assert digest.status_code == 200, digest.text
    assert digest.json()["triggered_by"] == "deleted user"
    assert (await owner.get(f"/api/orgs/acme/monitors/{monitor.id}")).status_code == 200
    invites = (await owner.get("/api/orgs/acme/invites")).json()
    assert [(i["invited_by"], i["status"]) for i in invites] == [(None, "revoked")]
    # In the database: the rows are intact, only the reference went.
    assert (await session.get(Monitor, monitor.id)).created_by_id is None  # type: ignore[union-attr]
    assert (await session.get(DigestRecord, made.id)).triggered_by_user_id is None  # type: ignore[union-attr]
    (invite,) = (await session.scalars(select(Invite))).all()
    assert invite.invited_by_id is None
    theirs = await session.scalars(
        select(AuditEvent).where(AuditEvent.actor_label == "admin-of-acme")
    )
    assert theirs.all() == []  # no row keeps their login either


async def test_nothing_is_purged_inside_the_window(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    member = await sign_in(personas.member)
    assert (await member.delete("/api/me")).status_code == 204
    await _deleted_days_ago(session, personas.member, RETENTION.days - 0.01)

    report = await _purge(app)

    assert (report.users, report.orgs) == (0, 0)
    session.expunge_all()
    assert await session.get(User, personas.member.id) is not None


async def test_orgs_past_the_window_go_whole_and_those_inside_it_stay(
    personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    old = await make_org(session, "Old")
    recent = await make_org(session, "Recent")
    for org in (old, recent):
        kept = await world.monitor(session, org, None)
        await world.digest(session, org, kept, None)
    await session.commit()
    await _deleted_days_ago(session, old, RETENTION.days + 0.01)
    await _deleted_days_ago(session, recent, RETENTION.days - 0.01)
    old_id = old.id

    report = await _purge(app)

    assert (report.users, report.orgs) == (0, 1)
    session.expunge_all()
    assert await session.get(Org, old_id) is None
    assert await session.get(Org, recent.id) is not None
    monitors = await session.scalars(select(Monitor.org_id))
    assert set(monitors.all()) == {recent.id}  # the old org's monitors and digests went too
    digests = await session.scalars(select(DigestRecord.org_id))
    assert set(digests.all()) == {recent.id}


async def test_a_dry_run_changes_nothing_and_counts_what_a_purge_takes(
    sign_in: SignIn, personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    member = await sign_in(personas.member)
    monitor = await world.monitor(session, personas.org, personas.member)
    await world.digest(session, personas.org, monitor, personas.member)
    await session.commit()
    assert (await member.delete("/api/me")).status_code == 204
    await _deleted_days_ago(session, personas.member, RETENTION.days + 1)
    old = await make_org(session, "Old")
    await world.monitor(session, old, None)
    await session.commit()
    await _deleted_days_ago(session, old, RETENTION.days + 1)
    before = await _counts(session)

    dry = await _purge(app, dry_run=True)

    assert (dry.dry_run, dry.users, dry.orgs) == (True, 1, 1)
    assert dry.summary().startswith("would purge 1 user(s) and 1 org(s)")
    session.expire_all()
    assert await _counts(session) == before
    real = await _purge(app)
    assert (real.users, real.orgs) == (dry.users, dry.orgs)
    session.expire_all()
    assert await _counts(session) != before
    assert (await _purge(app)).users == 0  # and a second purge finds nothing


async def test_the_worker_purges_once_a_day(
    personas: Personas, app: FastAPI, session: AsyncSession
) -> None:
    worker = Worker(app.state.settings, app.state.session_factory)
    first = await make_user(session, "first")
    first.deleted_at = utcnow() - RETENTION - timedelta(days=1)
    await session.commit()

    await worker._purge_when_due()
    second = await make_user(session, "second")
    second.deleted_at = utcnow() - RETENTION - timedelta(days=1)
    await session.commit()
    await worker._purge_when_due()  # within the day: not again

    session.expunge_all()
    assert await session.get(User, first.id) is None
    assert await session.get(User, second.id) is not None
    worker._purge_due_at = utcnow() - timedelta(seconds=1)  # a day later
    await worker._purge_when_due()
    session.expunge_all()
    assert await session.get(User, second.id) is None


def test_purge_is_never_reachable_through_the_api(app: FastAPI) -> None:
    """Purging every tenant's deleted data at once was an API route in the system we
    replace; here it is the operator's command and the worker's job only."""
    routes = [
        (context.path or "", context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(routes) > 50  # the walk really sees the API
    for path, route in routes:
        assert "purge" not in path.lower()
        assert "purge" not in route.name.lower()
        assert "purge" not in getattr(route.endpoint, "__module__", "")
        assert route.endpoint is not compliance.purge
    assert not [path for path in app.openapi()["paths"] if "purge" in path.lower()]
