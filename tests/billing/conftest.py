"""Billing on a SaaS server against the fake Stripe API, and recorded Stripe events
signed with Stripe's scheme."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from infrasync.kit.time import utcnow
from tests.fakes.stripe_api import FakeStripe, running, sign
from tests.fixtures import STRIPE_FIXTURES

# Made up for the tests: no real key or secret is anywhere in the repository.
SECRET_KEY = "sk_test_infrasync_fake_key"
WEBHOOK_SECRET = "whsec_infrasync_test_secret"
PRICE = "price_infrasync_pro"
# The customer of the recorded subscription events (stripe-sync-engine).
RECORDED_CUSTOMER = "cus_IhGfebO16cMIGN"

EVENTS = STRIPE_FIXTURES / "events"


def recorded(name: str) -> dict[str, Any]:
    """A recorded event envelope from stripe-sync-engine."""
    path = EVENTS / "stripe-sync-engine" / f"{name}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def recorded_data(name: str, *, event_id: str, event_type: str, created: int) -> dict[str, Any]:
    """A pay-rails recording (the `data` part only) in an envelope like Stripe's."""
    path = EVENTS / "pay-rails" / f"{name}.data.json"
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2020-03-02",
        "created": created,
        "data": json.loads(path.read_text(encoding="utf-8")),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def for_customer(event: dict[str, Any], customer: str, **fields: Any) -> dict[str, Any]:
    """The recorded event pointed at `customer` (and `fields` set on its object)."""
    changed = copy.deepcopy(event)
    changed["data"]["object"].update(customer=customer, **fields)
    return changed


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    with running(
        FakeStripe(api_key=SECRET_KEY, price=PRICE, customer_ids=[RECORDED_CUSTOMER])
    ) as fake:
        yield fake


@pytest.fixture
def settings_overrides(stripe_fake: FakeStripe) -> dict[str, object]:
    return {
        "billing_mode": "saas",
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_price_pro": PRICE,
        "stripe_api_base": stripe_fake.base_url,
    }


def now_seconds() -> int:
    return int(utcnow().timestamp())


def signed(
    event: dict[str, Any], secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, str]:
    """The event's bytes (indented, as Stripe sends them) and their signature at `at`."""
    body = json.dumps(event, indent=2).encode()
    return body, sign(body, secret, now_seconds() if at is None else at)


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
    header: str | None = None,
) -> httpx.Response:
    """POSTs the event to the webhook as Stripe does: the raw JSON, signed."""
    body, signature = signed(event, secret, at)
    return await client.post(
        "/api/billing/stripe/webhook",
        content=body,
        headers={
            "Stripe-Signature": header if header is not None else signature,
            "Content-Type": "application/json; charset=utf-8",
        },
    )


async def become_customer(owner: httpx.AsyncClient, slug: str = "acme") -> str:
    """The owner opens Checkout, which makes the org's Stripe customer (the recorded one,
    handed out by the fake); returns the Checkout URL."""
    response = await owner.post(f"/api/orgs/{slug}/billing/checkout")
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


async def plan(client: httpx.AsyncClient, slug: str = "acme") -> str | None:
    response = await client.get(f"/api/orgs/{slug}/billing")
    assert response.status_code == 200, response.text
    shown: str | None = response.json()["plan"]
    return shown
