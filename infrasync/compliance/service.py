"""Deleting and restoring people and orgs, purging them for good, and a person's export
(SPEC §4, §6 "Retention"; issue 14).

A deletion is soft and stops everything at once: sessions and keys die on the very next
request, monitors stop, queued runs and pending deliveries end.
For `INFRASYNC_RETENTION_DAYS` it can be undone: an org by an owner (POST
/api/orgs/{org}/restore), an account by signing in again with GitHub and saying yes (POST
/api/me/restore). After that, `purge` deletes the rows for good; rows that outlive a
person keep working with the reference set to null and their name replaced.

Never commits: the request's (or the command's) unit of work does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import Actor, OrgContext
from infrasync.billing import limits as plan_limits
from infrasync.billing.plans import limits_for
from infrasync.compliance import repository
from infrasync.config import Settings
from infrasync.errors import Conflict, NotFound
from infrasync.github.disconnect import disconnect_github
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.models import Org, Role, User
from infrasync.monitors import service as monitor_service
from infrasync.orgs import service as org_service

log = structlog.get_logger(__name__)

ORG_DELETED = "Stopped: the org was deleted."
ACCOUNT_DELETED = "Stopped: the person who asked for it deleted their account."


def _org_target(org: Org) -> Target:
    return Target(type="org", id=str(org.id), label=org.slug)


def _user_target(user: User) -> Target:
    return Target(type="user", id=str(user.id), label=user.login)


# Orgs ---------------------------------------------------------------------------------


async def delete_org(
    session: AsyncSession,
    context: OrgContext,
    client: ClientInfo,
    *,
    now: datetime | None = None,
    reason: str = "owner",
) -> None:
    """Soft-deletes the org. Everything of it stops on the next request, because every
    way in checks the org's `deleted_at`: members get 404 (its owners can only restore),
    its API keys 401, its invites 404; the scheduler queues nothing for it and a held run
    fails. What was already queued stops here: runs end as failed and pending
    deliveries are cancelled (one being sent is cancelled by the delivery itself).
    Nothing is revoked, so a restore makes the org whole again. Audited."""
    org = context.org
    now = now or utcnow()
    details: dict[str, object] = {
        "reason": reason,
        "runs_stopped": await repository.stop_queued_runs(session, ORG_DELETED, now, org_id=org.id),
        "deliveries_cancelled": await repository.cancel_org_deliveries(
            session, org.id, ORG_DELETED
        ),
    }
    org.deleted_at = now
    await session.flush()
    await audit.record_in_org(session, context, "org.delete", client, _org_target(org), details)


async def _bring_back(
    session: AsyncSession, context: OrgContext, client: ClientInfo, reason: str
) -> None:
    """Undeletes the org; its scheduled monitors start again from their next fire time,
    not with a catch-up of every period it spent deleted."""
    context.org.deleted_at = None
    for monitor in await repository.scheduled_monitors(session, context.org.id):
        monitor_service.apply_schedule(monitor, monitor_service.schedule_in(monitor))
    await session.flush()
    await audit.record_in_org(
        session, context, "org.restore", client, _org_target(context.org), {"reason": reason}
    )


async def restore_org(
    session: AsyncSession, context: OrgContext, client: ClientInfo, retention_days: int
) -> Org:
    """POST /api/orgs/{org}/restore (owners): 409 when the org is not deleted, 404 once
    its retention period is over (it is due to be purged)."""
    org = context.org
    if org.deleted_at is None:
        raise Conflict(f"{org.name} is not deleted.")
    until = restorable_until(org.deleted_at, retention_days)
    if until is not None and until <= utcnow():
        raise NotFound(f"No org {org.slug!r} that you belong to.")
    await _bring_back(session, context, client, "owner")
    return org


def restorable_until(deleted_at: datetime | None, retention_days: int) -> datetime | None:
    return deleted_at + timedelta(days=retention_days) if deleted_at is not None else None


# People -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrgPlan:
    """What deleting a person does to one of their orgs."""

    org: Org
    role: Role
    others: int  # other people in it

    @property
    def deleted_with_them(self) -> bool:
        return self.others == 0


async def _plan_user_deletion(session: AsyncSession, user: User) -> list[_OrgPlan]:
    """Each org of the person, or a 409 naming the first they are the last owner of
    while others remain (they must hand it over or delete it first)."""
    plans = []
    for org, role in await repository.live_orgs_of(session, user.id):
        if role == Role.OWNER:
            await repository.lock_org(session, org.id)
        others, other_owners = await repository.other_members_and_owners(session, org.id, user.id)
        if role == Role.OWNER and others > 0 and other_owners == 0:
            members = "member" if others == 1 else "members"
            raise Conflict(
                f"You are the last owner of {org.name}, which has {others} other {members}: "
                "make another member an owner or delete the org first."
            )
        plans.append(_OrgPlan(org=org, role=role, others=others))
    return plans


async def delete_user(
    session: AsyncSession, user: User, client: ClientInfo, *, now: datetime | None = None
) -> None:
    """Soft-deletes the account (DELETE /api/me). Orgs where the person is alone are
    deleted with them; in the others their keys and pending invites die and their
    GitHub token stops serving (it is forgotten for good, offers withdrawn). Their
    queued runs stop and every session ends. Audited."""
    now = now or utcnow()
    plans = await _plan_user_deletion(session, user)
    for plan in plans:
        context = OrgContext.of_member(plan.org, user, plan.role)
        if plan.deleted_with_them:
            await delete_org(session, context, client, now=now, reason="account_deleted")
        else:
            # The org's own log says why the member went, as it does for a removal.
            await audit.record_in_org(
                session, context, "member.account_deleted", client, _user_target(user)
            )
            await org_service.end_member_authority(
                session, context, user, client, reason="account_deleted"
            )
    await disconnect_github(session, user, client)
    runs = await repository.stop_queued_runs(session, ACCOUNT_DELETED, now, triggered_by=user.id)
    sessions = await repository.revoke_sessions(session, user.id, now)
    user.deleted_at = now
    await session.flush()
    await audit.record(
        session,
        "user.delete",
        actor=Actor.of_user(user),
        client=client,
        target=_user_target(user),
        details={
            "orgs_deleted": [p.org.slug for p in plans if p.deleted_with_them],
            "runs_stopped": runs,
            "sessions_ended": sessions,
        },
    )


async def restore_user(
    session: AsyncSession, settings: Settings, user: User, client: ClientInfo
) -> list[Org]:
    """Brings a deleted account back (POST /api/me/restore), with the orgs that were
    deleted with it (returned). What deleting the account ended stays ended: sessions,
    the keys and invites it made in orgs it shared, its queued runs; GitHub must be
    connected again (the token was forgotten)."""
    deleted_at = user.deleted_at
    if deleted_at is None:
        raise Conflict("Your account is not deleted; there is nothing to restore.")
    until = restorable_until(deleted_at, settings.retention_days)
    if until is not None and until <= utcnow():
        raise Conflict(
            f"Your account can no longer be restored: the retention period ended on "
            f"{until.isoformat()}, and it is due to be purged."
        )
    orgs = await repository.owned_orgs_deleted_at(session, user.id, deleted_at)
    user.deleted_at = None
    for org in orgs:
        context = OrgContext.of_member(org, user, Role.OWNER)
        await _bring_back(session, context, client, "account_restored")
    # Back in the orgs they shared, where their account's deletion was recorded too.
    for org, role in await repository.live_orgs_of(session, user.id):
        if org not in orgs:
            context = OrgContext.of_member(org, user, role)
            await audit.record_in_org(
                session, context, "member.account_restored", client, _user_target(user)
            )
    await session.flush()
    await audit.record(
        session,
        "user.restore",
        actor=Actor.of_user(user),
        client=client,
        target=_user_target(user),
        details={"orgs_restored": sorted(org.slug for org in orgs)},
    )
    return orgs


# Purge --------------------------------------------------------------------------------


@dataclass
class PurgeReport:
    """What one purge deleted for good (or, with dry_run, would delete)."""

    dry_run: bool
    cutoff: datetime
    users: int = 0
    orgs: int = 0
    digests: int = 0
    user_ids: list[uuid.UUID] = field(default_factory=list)
    org_ids: list[uuid.UUID] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        return (
            f"{verb} {self.users} user(s) and {self.orgs} org(s) soft-deleted before "
            f"{self.cutoff.isoformat(timespec='seconds')}, and {self.digests} digest(s) "
            "older than their org's plan keeps"
        )


async def _prune_digests(
    session: AsyncSession, settings: Settings, now: datetime, *, dry_run: bool
) -> int:
    """Digests older than the history of their org's plan in force (self-hosted: no
    plan, so nothing goes unless a plan says so)."""
    by_days: dict[int, list[uuid.UUID]] = {}
    if settings.billing_mode == "self_hosted":
        return 0
    for org_id, billing in await repository.live_orgs_with_billing(session):
        days = limits_for(plan_limits.plan_of(billing, now)).history_days
        if days is not None:
            by_days.setdefault(days, []).append(org_id)
    pruned = 0
    for days, org_ids in sorted(by_days.items()):
        cutoff = now - timedelta(days=days)
        for start in range(0, len(org_ids), 500):
            chunk = org_ids[start : start + 500]
            if dry_run:
                pruned += await repository.count_old_digests(session, chunk, cutoff)
            else:
                pruned += await repository.delete_old_digests(session, chunk, cutoff)
    return pruned


async def purge(
    session: AsyncSession, settings: Settings, now: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Deletes for good the users and orgs soft-deleted more than the retention period
    before `now`, and prunes digests beyond their plan's history. `dry_run` only counts.
    Reachable from `infrasync admin purge` and the worker's daily job, never the API.
    Logs one operator line with the counts."""
    cutoff = now - timedelta(days=settings.retention_days)
    report = PurgeReport(dry_run=dry_run, cutoff=cutoff)
    report.user_ids = await repository.users_deleted_before(session, cutoff)
    report.org_ids = await repository.orgs_deleted_before(session, cutoff)
    report.users, report.orgs = len(report.user_ids), len(report.org_ids)
    if not dry_run:
        # Orgs first: an org deleted with its only member goes whole, not member first.
        if report.org_ids:
            await repository.delete_orgs(session, report.org_ids)
        if report.user_ids:
            await repository.forget_names(session, report.user_ids)
            await repository.delete_users(session, report.user_ids)
    report.digests = await _prune_digests(session, settings, now, dry_run=dry_run)
    log.info(
        "purge",
        dry_run=dry_run,
        users=report.users,
        orgs=report.orgs,
        digests=report.digests,
        cutoff=cutoff.isoformat(),
    )
    return report
