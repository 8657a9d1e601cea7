"""`POST /api/billing/stripe/webhook` with Stripe's recorded events, signed with Stripe's
scheme, against the fake Stripe API (which holds the subscriptions as Stripe holds them
now). Each case asserts the plan afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.billing.conftest import (
    RECORDED_CUSTOMER,
    WEBHOOK_SECRET,
    become_customer,
    deliver,
    for_customer,
    now_seconds,
    plan,
    recorded,
    recorded_data,
    signed,
)
from tests.conftest import Personas, SignIn
from tests.fakes.stripe_api import FakeStripe

DAY = int(timedelta(days=1).total_seconds())


def _subscription(
    fake: FakeStripe, status: str, *, period_start: int | None = None
) -> dict[str, Any]:
    """The recorded subscription (subscription_created's object) as Stripe holds it now."""
    start = period_start if period_start is not None else now_seconds() - DAY
    return fake.put_subscription(
        recorded("subscription_created")["data"]["object"],
        status=status,
        current_period_start=start,
        current_period_end=start + 30 * DAY,
    )


async def _owner_with_customer(sign_in: SignIn, personas: Personas) -> httpx.AsyncClient:
    owner = await sign_in(personas.owner)
    await become_customer(owner)
    return owner


async def _audit(owner: httpx.AsyncClient, action: str) -> list[dict[str, Any]]:
    response = await owner.get("/api/orgs/acme/audit", params={"action": action})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_an_active_subscription_makes_the_org_pro_and_the_change_is_audited(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    assert await plan(owner) == "free"  # opening Checkout changed nothing
    _subscription(stripe_fake, "active")
    event = recorded("subscription_created")

    response = await deliver(client, event)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "plan_changed"
    assert await plan(owner) == "pro"
    (change,) = await _audit(owner, "billing.plan_change")
    assert change["details"]["stripe_event_id"] == event["id"] == "evt_1J02NfJDPojXS6LNawmt1X8q"
    assert change["details"]["from"] == "free"
    assert change["details"]["to"] == "pro"
    assert change["actor"]["label"] == "stripe"


async def test_a_forged_signature_is_refused_and_changes_nothing(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    event = recorded("subscription_created")

    wrong_secret = await deliver(client, event, secret="whsec_someone_else")
    body, header = signed(event)
    tampered = await client.post(
        "/api/billing/stripe/webhook",
        content=body.replace(b'"active"', b'"trialing"', 1),
        headers={"Stripe-Signature": header},
    )
    unsigned = await client.post("/api/billing/stripe/webhook", content=body)
    v0_only = await deliver(client, event, header=header.replace("v1=", "v0="))

    for response in (wrong_secret, tampered, unsigned, v0_only):
        assert response.status_code == 400, response.text
        assert "Stripe-Signature" in response.json()["detail"]
    assert await plan(owner) == "free"
    assert not [seen for seen in stripe_fake.requests if seen.path == "/v1/subscriptions"]


async def test_a_stale_timestamp_is_refused_and_one_within_300_seconds_is_taken(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    event = recorded("subscription_created")

    stale = await deliver(client, event, at=now_seconds() - 310)
    assert stale.status_code == 400
    assert await plan(owner) == "free"

    fresh = await deliver(client, event, at=now_seconds() - 290)
    assert fresh.status_code == 200, fresh.text
    assert await plan(owner) == "pro"


async def test_an_unknown_event_type_is_a_200_that_does_nothing(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    event = recorded("customer_updated")  # the recorded customer, a type we do not act on
    assert event["data"]["object"]["id"] == RECORDED_CUSTOMER

    response = await deliver(client, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored_type"
    assert await plan(owner) == "free"
    assert not [seen for seen in stripe_fake.requests if seen.path == "/v1/subscriptions"]


async def test_a_replay_is_a_200_that_does_nothing(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    event = recorded("subscription_created")
    assert (await deliver(client, event)).json()["outcome"] == "plan_changed"
    reads = len(stripe_fake.requests)
    # Stripe now says canceled: were the replay handled, the org would drop to free.
    _subscription(stripe_fake, "canceled")

    replay = await deliver(client, event)

    assert replay.status_code == 200
    assert replay.json()["outcome"] == "replay"
    assert len(stripe_fake.requests) == reads
    assert await plan(owner) == "pro"
    assert len(await _audit(owner, "billing.plan_change")) == 1


async def test_deleted_before_created_leaves_the_org_free(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    """The subscription was made and then canceled; Stripe delivers the deletion first
    and the creation (whose snapshot says active) after it."""
    owner = await _owner_with_customer(sign_in, personas)
    stripe_fake.put_subscription(recorded("subscription_deleted")["data"]["object"])
    created, deleted = recorded("subscription_created"), recorded("subscription_deleted")
    assert created["data"]["object"]["status"] == "active"
    assert created["created"] < deleted["created"]

    assert (await deliver(client, deleted)).status_code == 200
    assert await plan(owner) == "free"
    assert (await deliver(client, created)).status_code == 200
    assert await plan(owner) == "free"


async def test_deleted_after_pro_downgrades_and_a_late_created_does_not_bring_pro_back(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    assert (await deliver(client, recorded("subscription_updated") | {"id": "evt_up"})).json()[
        "outcome"
    ] == "plan_changed"
    assert await plan(owner) == "pro"
    stripe_fake.put_subscription(recorded("subscription_deleted")["data"]["object"])

    await deliver(client, recorded("subscription_deleted"))
    assert await plan(owner) == "free"
    await deliver(client, recorded("subscription_created"))
    assert await plan(owner) == "free"


async def test_past_due_keeps_pro_through_the_grace_and_paid_clears_it(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    period_start = now_seconds() - DAY
    subscription = _subscription(stripe_fake, "past_due", period_start=period_start)
    past_due = for_customer(recorded("subscription_updated"), RECORDED_CUSTOMER)
    past_due["data"]["object"].update(id=subscription["id"], status="past_due")

    await deliver(client, past_due)

    shown = (await owner.get("/api/orgs/acme/billing")).json()
    assert shown["plan"] == "pro"
    assert shown["status"] == "past_due"
    # The grace is counted from the subscription's own period start: 7 days.
    grace = shown["grace_ends_at"].replace("Z", "+00:00")
    assert grace.startswith(_iso(period_start + 7 * DAY)[:16])

    _subscription(stripe_fake, "active", period_start=period_start)
    paid = for_customer(
        recorded("invoice_paid"), RECORDED_CUSTOMER, subscription=subscription["id"]
    )
    await deliver(client, paid)

    shown = (await owner.get("/api/orgs/acme/billing")).json()
    assert (shown["plan"], shown["status"], shown["grace_ends_at"]) == ("pro", "active", None)


async def test_an_older_past_due_update_arriving_after_paid_changes_nothing(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    """Updated-to-past_due happened before paid, but reaches us after it."""
    owner = await _owner_with_customer(sign_in, personas)
    subscription = _subscription(stripe_fake, "active")
    paid = for_customer(
        recorded("invoice_paid"), RECORDED_CUSTOMER, subscription=subscription["id"]
    )
    past_due = for_customer(recorded("subscription_updated"), RECORDED_CUSTOMER)
    past_due["data"]["object"].update(id=subscription["id"], status="past_due")
    past_due["created"] = paid["created"] - 60

    await deliver(client, paid)
    await deliver(client, past_due)

    shown = (await owner.get("/api/orgs/acme/billing")).json()
    assert (shown["plan"], shown["status"], shown["grace_ends_at"]) == ("pro", "active", None)


async def test_past_due_beyond_the_grace_is_free(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    await deliver(client, recorded("subscription_created"))
    assert await plan(owner) == "pro"
    _subscription(stripe_fake, "past_due", period_start=now_seconds() - 8 * DAY)
    failed = recorded_data(
        "invoice.payment_failed",
        event_id="evt_payment_failed",
        event_type="invoice.payment_failed",
        created=now_seconds(),
    )
    failed["data"]["object"]["customer"] = RECORDED_CUSTOMER

    await deliver(client, failed)

    assert await plan(owner) == "free"


@pytest.mark.parametrize("status", ["canceled", "unpaid", "incomplete_expired", "incomplete"])
async def test_statuses_that_are_not_paying_are_free(
    sign_in: SignIn,
    personas: Personas,
    client: httpx.AsyncClient,
    stripe_fake: FakeStripe,
    status: str,
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    await deliver(client, recorded("subscription_created"))
    _subscription(stripe_fake, status)

    await deliver(client, recorded("subscription_updated"))

    assert await plan(owner) == "free"


async def test_a_trialing_subscription_is_pro(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "trialing")
    await deliver(client, recorded("subscription_created"))
    assert await plan(owner) == "pro"


async def test_checkout_completed_without_an_active_subscription_stays_free(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    # A one-off payment checkout (subscription: null) of our customer, Stripe holding none.
    payment = recorded("checkout_session_completed")
    assert payment["data"]["object"]["subscription"] is None
    assert (await deliver(client, payment)).status_code == 200
    assert await plan(owner) == "free"

    # A subscription checkout whose subscription is still incomplete (3-D Secure pending).
    session = recorded_data(
        "checkout.session.completed",
        event_id="evt_checkout_incomplete",
        event_type="checkout.session.completed",
        created=now_seconds(),
    )
    session["data"]["object"]["customer"] = RECORDED_CUSTOMER
    held = _subscription(stripe_fake, "incomplete")
    session["data"]["object"]["subscription"] = held["id"]
    assert (await deliver(client, session)).status_code == 200
    assert await plan(owner) == "free"


async def test_a_subscription_for_a_customer_we_do_not_know_changes_no_plan(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    outsider = await sign_in(personas.outsider)
    stranger = for_customer(recorded("subscription_created"), "cus_not_ours")
    stripe_fake.put_subscription(stranger["data"]["object"], status="active")

    response = await deliver(client, stranger)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_customer"
    assert await plan(owner) == "free"
    assert await plan(outsider, "globex") == "free"
    assert not [seen for seen in stripe_fake.requests if seen.path == "/v1/subscriptions"]


async def test_a_checkout_naming_another_org_than_its_customer_is_ignored(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    session = for_customer(
        recorded("checkout_session_completed"),
        RECORDED_CUSTOMER,
        client_reference_id=str(personas.other_org.id),
    )

    response = await deliver(client, session)

    assert response.json()["outcome"] == "unknown_customer"
    assert await plan(owner) == "free"


async def test_a_body_that_is_not_an_event_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    for body in (b"not json", b"[]", b'{"object": "event"}', b'{"object": "customer"}'):
        response = await deliver_raw(client, body)
        assert response.status_code == 400, response.text


async def test_stripe_down_is_a_503_and_stripes_retry_is_handled(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await _owner_with_customer(sign_in, personas)
    _subscription(stripe_fake, "active")
    event = recorded("subscription_created")
    stripe_fake.down = True

    assert (await deliver(client, event)).status_code == 503
    assert await plan(owner) == "free"

    stripe_fake.down = False
    retried = await deliver(client, event)
    assert retried.json()["outcome"] == "plan_changed"
    assert await plan(owner) == "pro"


async def deliver_raw(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    from tests.fakes.stripe_api import sign

    return await client.post(
        "/api/billing/stripe/webhook",
        content=body,
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET, now_seconds())},
    )


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat()
