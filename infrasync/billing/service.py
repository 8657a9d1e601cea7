"""Plans and Stripe billing (SPEC §4 `/api/orgs/{org}/billing`, `POST
/api/billing/stripe/webhook`).

The plan is pro only while Stripe says a subscription of the org's customer is `active`
or `trialing`; `past_due` keeps pro for PAST_DUE_GRACE from the start of the unpaid period,
every other status is free. Nothing here writes pro before Stripe says so: Checkout only
opens a payment page, and the plan changes when Stripe's signed event arrives.

Events are not trusted for their order or their snapshot: any accepted event of a known
customer makes us read the customer's subscriptions from Stripe as they are now, and a
reading never replaces one taken later (`observed_at`), so a late, older event changes
nothing. A downgrade deletes nothing: the newest active monitors beyond the free limit
are paused, listed on the billing page and in the audit log.

Like other services that call out (digests, delivery), these commit the caller's session
before each Stripe request and store the answer in a new transaction: no lock is held
while Stripe is slow.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import Actor, OrgContext
from infrasync.billing import limits, repository, stripe_client
from infrasync.billing.plans import (
    LIMIT_WORDS,
    PAST_DUE_GRACE,
    PLANS,
    SCHEDULE_WORDS,
    PlanName,
    limits_for,
)
from infrasync.billing.schemas import (
    BillingOut,
    DowngradeOut,
    LimitUsage,
    MonthUsageOut,
    PausedMonitorOut,
    PlanOut,
    WebhookOut,
)
from infrasync.billing.stripe_client import (
    SignatureInvalid,
    StripeRefused,
    StripeUnavailable,
    Subscription,
)
from infrasync.config import Settings
from infrasync.errors import BadRequest, Conflict, ServiceUnavailable
from infrasync.kit.client_info import NO_CLIENT, ClientInfo
from infrasync.kit.time import utcnow
from infrasync.models import Org, OrgBilling, Role
from infrasync.monitors import service as monitor_service

log = structlog.get_logger(__name__)

# The events that can change a plan. Any other type is answered 200 and ignored.
ACCEPTED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
PAYING = frozenset({"active", "trialing"})
STRIPE_ACTOR = Actor.system("stripe")


def _org_target(org: Org) -> Target:
    return Target(type="org", id=str(org.id), label=org.name)


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _plan_out(name: PlanName) -> PlanOut:
    plan = PLANS[name]
    return PlanOut(
        name=name,
        monitors=plan.monitors,
        channels=plan.channels,
        members=plan.members,
        schedule=plan.schedule,
        schedule_label=SCHEDULE_WORDS[plan.schedule],
        ai_writer=plan.ai_writer,
        history_days=plan.history_days,
    )


async def billing(
    session: AsyncSession, settings: Settings, context: OrgContext, now: datetime | None = None
) -> BillingOut:
    """The org's plan, its subscription's state, and its usage against each limit."""
    now = now or utcnow()
    org = context.org
    row = await repository.billing_of(session, org.id)
    saas = settings.billing_mode == "saas"
    plan: PlanName | None = limits.plan_of(row, now) if saas else None
    allowed = limits_for(plan)
    members, pending = await repository.members_and_pending_invites(session, org.id, now)
    used = {
        "monitors": await repository.active_monitors(session, org.id),
        "channels": await repository.channels(session, org.id),
        "members": members + pending,
    }
    caps = {"monitors": allowed.monitors, "channels": allowed.channels, "members": allowed.members}
    month = await repository.month_usage(session, org.id, _month_start(now))
    is_owner = context.role == Role.OWNER
    configured = saas and stripe_client.is_configured(settings)
    paused = row.paused_monitors if row is not None else []
    in_grace = row is not None and row.grace_ends_at is not None and plan == "pro"
    return BillingOut(
        mode=settings.billing_mode,
        plan=plan,
        status=row.subscription_status if row is not None and saas else None,
        limits=[
            LimitUsage(name=name, label=LIMIT_WORDS[name][0], used=used[name], limit=caps[name])
            for name in ("monitors", "channels", "members")
        ],
        schedule=allowed.schedule,
        schedule_label=SCHEDULE_WORDS[allowed.schedule],
        ai_writer=allowed.ai_writer,
        history_days=allowed.history_days,
        this_month=MonthUsageOut(
            since=_month_start(now), digests=month.digests, deliveries=month.deliveries
        ),
        renews_at=row.current_period_end if row is not None and plan == "pro" else None,
        cancel_at_period_end=bool(row and row.cancel_at_period_end and plan == "pro"),
        grace_ends_at=row.grace_ends_at if row is not None and in_grace else None,
        downgrade=(
            DowngradeOut(
                at=row.downgraded_at,
                paused_monitors=[PausedMonitorOut.model_validate(item) for item in paused],
            )
            if row is not None and row.downgraded_at is not None and plan == "free"
            else None
        ),
        plans=[_plan_out("free"), _plan_out("pro")] if saas else [],
        can_upgrade=configured and is_owner and plan == "free",
        can_manage=configured and is_owner and bool(row and row.stripe_customer_id),
    )


def _require_stripe(settings: Settings) -> None:
    if settings.billing_mode == "self_hosted":
        raise Conflict(
            "This server is self-hosted (INFRASYNC_BILLING_MODE=self_hosted): it has no "
            "plans and no limits, so there is nothing to pay for."
        )
    if not stripe_client.is_configured(settings):
        raise Conflict(
            "Billing is not set up on this server: its operator needs to set "
            "INFRASYNC_STRIPE_SECRET_KEY and INFRASYNC_STRIPE_PRICE_PRO."
        )


def _unavailable(error: Exception) -> ServiceUnavailable:
    if isinstance(error, StripeRefused):
        log.warning("stripe refused a request", reason=str(error))
        return ServiceUnavailable(
            "Stripe refused the request; the server's billing settings need its operator's "
            "attention. Nothing was charged."
        )
    log.warning("stripe unreachable", reason=str(error))
    return ServiceUnavailable("Stripe could not be reached; nothing was charged. Try again soon.")


def customer_idempotency_key(org_id: uuid.UUID) -> str:
    # One per org, forever: the customer is made once whoever clicks, however often.
    return f"infrasync-org-customer-{org_id}"


async def _customer(session: AsyncSession, settings: Settings, org: Org) -> str:
    """The org's Stripe customer, made on first use. Commits before calling Stripe."""
    row = await repository.billing_for_change(session, org.id)
    if row.stripe_customer_id is not None:
        customer: str = row.stripe_customer_id
        await session.commit()
        return customer
    org_id, name, slug = org.id, org.name, org.slug
    await session.commit()
    try:
        made = await stripe_client.create_customer(
            settings,
            name=name,
            metadata={"org_id": str(org_id), "org_slug": slug},
            idempotency_key=customer_idempotency_key(org_id),
        )
    except (StripeUnavailable, StripeRefused) as error:
        raise _unavailable(error) from None
    stored = await repository.set_customer(session, org_id, made)
    await session.commit()
    return stored


async def start_checkout(
    session: AsyncSession, settings: Settings, context: OrgContext, client: ClientInfo
) -> str:
    """A Stripe Checkout page for pro; returns its URL. The plan stays as it is until
    Stripe's event says the subscription is paid for."""
    _require_stripe(settings)
    org = context.org
    if await limits.plan_in_force(session, settings, org) == "pro":
        raise Conflict(f"{org.name} is already on pro: use Manage billing to change it.")
    org_id, slug = org.id, org.slug
    customer = await _customer(session, settings, org)
    page = f"{settings.effective_frontend_url}/orgs/{slug}/billing"
    try:
        url = await stripe_client.create_checkout_session(
            settings,
            customer=customer,
            client_reference_id=str(org_id),
            success_url=f"{page}?checkout=success",
            cancel_url=f"{page}?checkout=cancelled",
            metadata={"org_id": str(org_id)},
        )
    except (StripeUnavailable, StripeRefused) as error:
        raise _unavailable(error) from None
    await audit.record_in_org(session, context, "billing.checkout", client, _org_target(org))
    return url


async def open_portal(
    session: AsyncSession, settings: Settings, context: OrgContext, client: ClientInfo
) -> str:
    """A Stripe Billing Portal page for the org's customer; returns its URL."""
    _require_stripe(settings)
    org = context.org
    row = await repository.billing_of(session, org.id)
    if row is None or row.stripe_customer_id is None:
        raise Conflict(f"{org.name} has no subscription to manage yet: upgrade first.")
    customer, slug = row.stripe_customer_id, org.slug
    await session.commit()
    try:
        url = await stripe_client.create_portal_session(
            settings,
            customer=customer,
            return_url=f"{settings.effective_frontend_url}/orgs/{slug}/billing",
        )
    except (StripeUnavailable, StripeRefused) as error:
        raise _unavailable(error) from None
    await audit.record_in_org(session, context, "billing.portal", client, _org_target(org))
    return url


# The webhook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    customer: str | None
    client_reference_id: str | None


def _parse_event(payload: bytes) -> _Event:
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not JSON: send the Stripe event as Stripe does.") from None
    if not isinstance(document, dict) or document.get("object") != "event":
        raise BadRequest("The body is not a Stripe event (its `object` is not `event`).")
    event_id, event_type = document.get("id"), document.get("type")
    data = document.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        raise BadRequest("The Stripe event has no id or type.")
    if not isinstance(obj, dict):
        raise BadRequest("The Stripe event has no data.object.")
    reference = obj.get("client_reference_id")
    return _Event(
        id=event_id,
        type=event_type,
        customer=stripe_client.customer_of(obj),
        client_reference_id=reference if isinstance(reference, str) else None,
    )


def _current(subscriptions: list[Subscription]) -> Subscription | None:
    """The subscription that decides the plan: a paying one if any, else one in its
    grace, else the newest."""

    def rank(item: Subscription) -> tuple[int, float]:
        order = 2 if item.status in PAYING else 1 if item.status == "past_due" else 0
        return order, item.created.timestamp() if item.created else 0.0

    return max(subscriptions, key=rank, default=None)


async def handle_webhook(
    session: AsyncSession,
    settings: Settings,
    payload: bytes,
    signature: str | None,
    now: datetime | None = None,
) -> WebhookOut:
    """Checks the signature on the raw body, stores the event id once, and brings the
    org's plan to what Stripe holds now. A replay, an unknown type or an unknown customer
    is a 200 that changes nothing; a bad signature, a 400."""
    now = now or utcnow()
    secret = (
        settings.stripe_webhook_secret.get_secret_value()
        if settings.stripe_webhook_secret
        else None
    )
    if settings.billing_mode == "self_hosted":
        secret = None  # no Stripe at all: everything is refused
    try:
        stripe_client.verify_signature(payload, signature, secret, now=now)
    except SignatureInvalid as error:
        log.info("stripe webhook refused", reason=str(error))
        raise BadRequest(
            "The Stripe-Signature header does not match this body, or is too old, or this "
            "server has no webhook secret: the event was not accepted."
        ) from None
    event = _parse_event(payload)
    if event.type not in ACCEPTED_EVENTS:
        return WebhookOut(event_id=event.id, outcome="ignored_type")
    if not await repository.claim_event(session, event.id, event.type, now):
        await session.commit()
        return WebhookOut(event_id=event.id, outcome="replay")
    row = await repository.billing_by_customer(session, event.customer) if event.customer else None
    if row is None or (
        event.client_reference_id is not None and event.client_reference_id != str(row.org_id)
    ):
        await repository.finish_event(session, event.id, None, "unknown_customer", now)
        await session.commit()
        log.info("stripe event for no customer of ours", event_id=event.id, type=event.type)
        return WebhookOut(event_id=event.id, outcome="unknown_customer")
    org_id, customer = row.org_id, event.customer
    assert customer is not None
    await session.commit()  # the event is claimed; Stripe is read with no transaction open
    observed_at = utcnow()
    try:
        subscriptions = await stripe_client.subscriptions_of(settings, customer)
    except (StripeUnavailable, StripeRefused) as error:
        # Not finished: Stripe delivers it again, and the retry claims it anew.
        raise _unavailable(error) from None
    outcome = await _apply(
        session, settings, org_id, _current(subscriptions), observed_at, event.id, now
    )
    await repository.finish_event(session, event.id, org_id, outcome, now)
    return WebhookOut(event_id=event.id, outcome=outcome)


def _grace_end(subscription: Subscription, observed_at: datetime) -> datetime:
    # The unpaid period began when the subscription's current period did: its own
    # timestamp, not when the event happened to reach us.
    return (subscription.current_period_start or observed_at) + PAST_DUE_GRACE


async def _apply(
    session: AsyncSession,
    settings: Settings,
    org_id: uuid.UUID,
    subscription: Subscription | None,
    observed_at: datetime,
    event_id: str,
    now: datetime,
) -> str:
    row = await repository.billing_for_change(session, org_id)
    if row.observed_at is not None and row.observed_at > observed_at:
        return "stale"  # another handler read Stripe later and stored what it saw
    before: PlanName = "pro" if row.plan == "pro" else "free"  # the plan last applied
    status_before = row.subscription_status
    row.observed_at = observed_at
    row.last_event_id = event_id
    if subscription is None:
        row.subscription_id = row.subscription_status = None
        row.current_period_end, row.grace_ends_at, row.cancel_at_period_end = None, None, False
        plan: PlanName = "free"
    else:
        row.subscription_id = subscription.id
        row.subscription_status = subscription.status
        row.current_period_end = subscription.current_period_end
        row.cancel_at_period_end = subscription.cancel_at_period_end
        if subscription.status in PAYING:
            row.grace_ends_at, plan = None, "pro"
        elif subscription.status == "past_due":
            row.grace_ends_at = _grace_end(subscription, observed_at)
            plan = "pro" if row.grace_ends_at > now else "free"
        else:
            row.grace_ends_at, plan = None, "free"
    if plan == before:
        if row.subscription_status != status_before:
            # Not a plan change, but a billing change the org should see (a grace begun).
            org = await session.get(Org, org_id)
            assert org is not None
            await audit.record(
                session,
                "billing.subscription_status",
                actor=STRIPE_ACTOR,
                client=NO_CLIENT,
                org_id=org_id,
                target=_org_target(org),
                details={
                    "from": status_before,
                    "to": row.subscription_status,
                    "plan": plan,
                    "grace_ends_at": row.grace_ends_at.isoformat() if row.grace_ends_at else None,
                    "stripe_event_id": event_id,
                },
            )
        await session.flush()
        return "unchanged"
    await _change_plan(session, settings, row, before, plan, event_id, now, reason=None)
    return "plan_changed"


async def _change_plan(
    session: AsyncSession,
    settings: Settings,
    row: OrgBilling,
    before: PlanName,
    plan: PlanName,
    event_id: str | None,
    now: datetime,
    *,
    reason: str | None,
) -> None:
    org = await session.get(Org, row.org_id)
    assert org is not None
    row.plan = plan
    if plan == "pro":
        row.downgraded_at, row.paused_monitors = None, []
    target = _org_target(org)
    await audit.record(
        session,
        "billing.plan_change",
        actor=STRIPE_ACTOR,
        client=NO_CLIENT,
        org_id=org.id,
        target=target,
        details={
            "from": before,
            "to": plan,
            "status": row.subscription_status,
            "subscription": row.subscription_id,
            "stripe_event_id": event_id,
            **({"reason": reason} if reason else {}),
        },
    )
    if plan == "free" and settings.billing_mode == "saas":
        keep = PLANS["free"].monitors
        paused = await monitor_service.pause_newest_beyond(session, org.id, keep)
        row.downgraded_at = now
        row.paused_monitors = [{"id": str(m.id), "name": m.name} for m in paused]
        if paused:
            await audit.record(
                session,
                "billing.monitors_paused",
                actor=STRIPE_ACTOR,
                client=NO_CLIENT,
                org_id=org.id,
                target=target,
                details={
                    "monitors": [m.name for m in paused],
                    "limit": keep,
                    "stripe_event_id": event_id,
                },
            )
    await session.flush()


async def end_lapsed_graces(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Downgrades every org whose past_due grace ended (the worker calls this each beat);
    returns how many. Audited with the event that began the grace."""
    if settings.billing_mode == "self_hosted":
        return 0
    ended = 0
    for org_id in await repository.lapsed_graces(session, now):
        row = await repository.billing_for_change(session, org_id)
        if row.plan != "pro" or row.grace_ends_at is None or row.grace_ends_at > now:
            continue  # a payment arrived meanwhile
        await _change_plan(
            session, settings, row, "pro", "free", row.last_event_id, now, reason="grace_ended"
        )
        ended += 1
    return ended
