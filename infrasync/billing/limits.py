"""The plan checks other domains call at the moment of a change (a monitor added or
resumed, a channel made, an invite sent or accepted, a schedule or writer chosen): a 402
`PlanLimitExceeded` naming the limit and how to lift it.

Part of billing's service, apart from service.py so that monitors, delivery and orgs can
call it while service.py calls the monitors service back (to pause monitors on a
downgrade) without an import cycle. On a self-hosted server every check passes at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.billing import repository
from infrasync.billing.plans import (
    LIMIT_WORDS,
    PLANS,
    SCHEDULE_WORDS,
    Limits,
    PlanName,
    limits_for,
    schedule_allowed,
)
from infrasync.config import Settings
from infrasync.errors import PlanLimitExceeded
from infrasync.kit.time import utcnow
from infrasync.models import Org, OrgBilling


def plan_of(billing: OrgBilling | None, now: datetime) -> PlanName:
    """The plan in force at `now`: pro ends with a lapsed past_due grace even before the
    worker has applied the downgrade."""
    if billing is None or billing.plan != "pro":
        return "free"
    if billing.grace_ends_at is not None and billing.grace_ends_at <= now:
        return "free"
    return "pro"


async def plan_in_force(
    session: AsyncSession, settings: Settings, org: Org, now: datetime | None = None
) -> PlanName | None:
    """The org's plan now; None on a self-hosted server (no plans, no limits)."""
    if settings.billing_mode == "self_hosted":
        return None
    return plan_of(await repository.billing_of(session, org.id), now or utcnow())


def billing_page(settings: Settings, org: Org) -> str:
    return f"{settings.effective_frontend_url}/orgs/{org.slug}/billing"


def _refusal(
    settings: Settings,
    org: Org,
    plan: PlanName,
    limit: str,
    allowed: int | bool | str,
    situation: str,
) -> PlanLimitExceeded:
    _, how = LIMIT_WORDS[limit]
    page = billing_page(settings, org)
    lift = (
        f"{how}, or have an owner upgrade to pro on the billing page ({page})"
        if plan == "free"
        else f"{how}; pro is the largest plan"
    )
    return PlanLimitExceeded(
        f"{situation} To go on, {lift}.", limit=limit, plan=plan, allowed=allowed
    )


async def _counted_plan(
    session: AsyncSession, settings: Settings, org: Org
) -> tuple[PlanName, Limits] | None:
    if settings.billing_mode == "self_hosted":
        return None
    # Locked before counting: two additions at once must not both take the last slot.
    await repository.lock_org(session, org.id)
    plan = plan_of(await repository.billing_of(session, org.id), utcnow())
    return plan, PLANS[plan]


async def check_monitor_slot(
    session: AsyncSession,
    settings: Settings,
    org: Org,
    *,
    repositories: int = 1,
    replacing: uuid.UUID | None = None,
) -> None:
    """One more active (unpaused) monitor following `repositories` repositories: added,
    resumed, or (`replacing` itself) made to follow other repositories. The limit counts
    repositories: a monitor of five repositories takes five of the plan's monitors."""
    counted = await _counted_plan(session, settings, org)
    if counted is None:
        return
    plan, limits = counted
    used = await repository.active_monitors(session, org.id, besides=replacing)
    if limits.monitors is not None and used + repositories > limits.monitors:
        this = f"; this monitor follows {repositories}" if repositories > 1 else ""
        raise _refusal(
            settings,
            org,
            plan,
            "monitors",
            limits.monitors,
            f"The {plan} plan allows {limits.monitors} active monitors, each repository a "
            f"monitor follows counting as one, and {org.name} has {used}{this}.",
        )


async def check_channel_slot(session: AsyncSession, settings: Settings, org: Org) -> None:
    counted = await _counted_plan(session, settings, org)
    if counted is None:
        return
    plan, limits = counted
    used = await repository.channels(session, org.id)
    if limits.channels is not None and used + 1 > limits.channels:
        raise _refusal(
            settings,
            org,
            plan,
            "channels",
            limits.channels,
            f"The {plan} plan allows {limits.channels} channels and {org.name} has {used}.",
        )


async def check_member_slot(
    session: AsyncSession, settings: Settings, org: Org, *, accepting: bool
) -> None:
    """An invite sent (members and pending invites count), or one accepted (members
    count: the invite was already counted when it was sent, but the plan may have
    shrunk since)."""
    counted = await _counted_plan(session, settings, org)
    if counted is None:
        return
    plan, limits = counted
    members, pending = await repository.members_and_pending_invites(session, org.id, utcnow())
    used = members if accepting else members + pending
    if limits.members is not None and used + 1 > limits.members:
        has = f"{members} members" + ("" if accepting else f" and {pending} pending invites")
        raise _refusal(
            settings,
            org,
            plan,
            "members",
            limits.members,
            f"The {plan} plan allows {limits.members} members (pending invites included) "
            f"and {org.name} has {has}.",
        )


async def check_schedule(session: AsyncSession, settings: Settings, org: Org, kind: str) -> None:
    plan = await plan_in_force(session, settings, org)
    if plan is None:
        return
    limits = limits_for(plan)
    if not schedule_allowed(limits, kind):
        raise _refusal(
            settings,
            org,
            plan,
            "schedule",
            limits.schedule,
            f"The {plan} plan allows schedules up to {SCHEDULE_WORDS[limits.schedule]}; "
            f"a {kind} schedule needs pro.",
        )


async def check_writer(session: AsyncSession, settings: Settings, org: Org, writer: str) -> None:
    """The AI writer, asked for by name (`llm`). `auto` is not refused here: it means "a
    model when the server has one", and the run's choice of writer (digests/service.py)
    does not read the plan yet."""
    if writer != "llm":
        return
    plan = await plan_in_force(session, settings, org)
    if plan is None:
        return
    if not limits_for(plan).ai_writer:
        raise _refusal(
            settings,
            org,
            plan,
            "ai_writer",
            False,
            f"The {plan} plan does not include the AI writer.",
        )
