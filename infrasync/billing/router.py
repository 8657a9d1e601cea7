"""`/api/orgs/{org}/billing` (viewers read; only owners open Checkout or the Portal, SPEC
§5) and `POST /api/billing/stripe/webhook` (Stripe's signed events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from infrasync.billing import service
from infrasync.billing.schemas import BillingOut, SessionUrl, WebhookOut
from infrasync.deps import AppSettings, Client, DbSession, OwnerOrg, ViewerOrg
from infrasync.errors import documented

router = APIRouter(prefix="/api/orgs/{org}/billing", tags=["billing"])
webhook_router = APIRouter(prefix="/api/billing", tags=["billing"])

READ = documented(401, 403, 404)
OPEN = documented(401, 403, 404, 409, 503)


@router.get("", response_model=BillingOut, responses=READ)
async def get_billing(context: ViewerOrg, session: DbSession, settings: AppSettings) -> BillingOut:
    """The plan, the subscription's status, usage against each limit, this month's
    digests and deliveries, the renewal or grace date, and any monitors a downgrade
    paused. On a self-hosted server: no plan and no limits."""
    return await service.billing(session, settings, context)


@router.post("/checkout", response_model=SessionUrl, responses=OPEN)
async def start_checkout(
    context: OwnerOrg, session: DbSession, settings: AppSettings, client: Client
) -> SessionUrl:
    """A Stripe Checkout page for pro, for the org in the path (owners only). The plan
    changes when Stripe confirms the payment, never before."""
    return SessionUrl(url=await service.start_checkout(session, settings, context, client))


@router.post("/portal", response_model=SessionUrl, responses=OPEN)
async def open_portal(
    context: OwnerOrg, session: DbSession, settings: AppSettings, client: Client
) -> SessionUrl:
    """A Stripe Billing Portal page to change the card, cancel or see invoices (owners)."""
    return SessionUrl(url=await service.open_portal(session, settings, context, client))


@webhook_router.post("/stripe/webhook", response_model=WebhookOut, responses=documented(503))
async def stripe_webhook(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookOut:
    """Stripe's events, their signature checked on the raw body (300 s tolerance). Only
    the six billing events are acted on; any other type is a 200 that does nothing, as
    is a replay. A signature that does not match is a 400."""
    payload = await request.body()
    return await service.handle_webhook(session, settings, payload, stripe_signature)
