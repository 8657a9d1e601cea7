"""Checkout and Portal sessions against the fake Stripe API: owners only, for the org in
the path, one customer per org however often the button is pressed, and no plan change
before Stripe says the subscription is paid."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from infrasync.billing.stripe_client import API_VERSION
from infrasync.models import Role
from tests.billing.conftest import RECORDED_CUSTOMER, SECRET_KEY, WEBHOOK_SECRET, plan
from tests.conftest import Personas, SignIn
from tests.fakes.stripe_api import FakeStripe


async def test_checkout_opens_a_stripe_page_for_the_org_and_changes_no_plan(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)

    response = await owner.post("/api/orgs/acme/billing/checkout")

    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert url.startswith(f"{stripe_fake.base_url}/checkout/cs_test_")
    (session,) = stripe_fake.checkout_sessions.values()
    assert session["customer"] == RECORDED_CUSTOMER
    assert session["client_reference_id"] == str(personas.org.id)
    assert session["success_url"].endswith("/orgs/acme/billing?checkout=success")
    assert await plan(owner) == "free"  # the old system wrote pro here, before any payment
    # Every request names the pinned API version.
    assert {seen.stripe_version for seen in stripe_fake.requests} == {API_VERSION}


async def test_the_org_comes_from_the_path_never_the_body(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)

    response = await owner.post(
        "/api/orgs/acme/billing/checkout",
        json={"org": "globex", "org_id": str(personas.other_org.id)},
    )

    assert response.status_code == 200
    (customer,) = stripe_fake.customers.values()
    assert customer["metadata"] == {"org_id": str(personas.org.id), "org_slug": "acme"}


async def test_a_double_click_makes_one_customer(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    stripe_fake.customer_ids = []  # fresh ids each time it makes one
    owner = await sign_in(personas.owner)

    first, second = await asyncio.gather(
        owner.post("/api/orgs/acme/billing/checkout"),
        owner.post("/api/orgs/acme/billing/checkout"),
    )
    third = await owner.post("/api/orgs/acme/billing/checkout")

    assert {first.status_code, second.status_code, third.status_code} == {200}
    assert len(stripe_fake.customers_named(str(personas.org.id))) == 1
    keys = {s.idempotency_key for s in stripe_fake.requests if s.path == "/v1/customers"}
    assert keys == {f"infrasync-org-customer-{personas.org.id}"}
    customers = {s["customer"] for s in stripe_fake.checkout_sessions.values()}
    assert len(customers) == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
async def test_only_an_owner_may_open_checkout_or_the_portal(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe, role: Role
) -> None:
    person = {Role.ADMIN: personas.admin, Role.MEMBER: personas.member}.get(role, personas.viewer)
    caller = await sign_in(person)

    for path in ("checkout", "portal"):
        response = await caller.post(f"/api/orgs/acme/billing/{path}")
        assert response.status_code == 403, response.text
    assert stripe_fake.requests == []
    shown = (await caller.get("/api/orgs/acme/billing")).json()
    assert (shown["can_upgrade"], shown["can_manage"]) == (False, False)


async def test_another_orgs_billing_is_a_404(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    """The old system let anyone open any org's portal."""
    acme_owner = await sign_in(personas.owner)
    await acme_owner.post("/api/orgs/acme/billing/checkout")
    outsider = await sign_in(personas.outsider)  # owner of Globex
    before = len(stripe_fake.requests)

    for method, path in (
        ("GET", "/api/orgs/acme/billing"),
        ("POST", "/api/orgs/acme/billing/checkout"),
        ("POST", "/api/orgs/acme/billing/portal"),
    ):
        response = await outsider.request(method, path)
        assert response.status_code == 404, (path, response.text)
    assert len(stripe_fake.requests) == before
    assert stripe_fake.portal_sessions == {}


async def test_the_portal_opens_for_the_orgs_own_customer(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    none_yet = await owner.post("/api/orgs/acme/billing/portal")
    assert none_yet.status_code == 409
    assert "upgrade first" in none_yet.json()["detail"]
    await owner.post("/api/orgs/acme/billing/checkout")

    response = await owner.post("/api/orgs/acme/billing/portal")

    assert response.status_code == 200, response.text
    (session,) = stripe_fake.portal_sessions.values()
    assert response.json()["url"] == session["url"]
    assert session["customer"] == RECORDED_CUSTOMER
    assert session["return_url"].endswith("/orgs/acme/billing")


async def test_stripe_down_is_a_503_that_says_nothing_was_charged(
    sign_in: SignIn, personas: Personas, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    stripe_fake.down = True

    response = await owner.post("/api/orgs/acme/billing/checkout")

    assert response.status_code == 503
    assert "nothing was charged" in response.json()["detail"]


async def test_no_secret_reaches_a_response_or_the_log(
    sign_in: SignIn,
    personas: Personas,
    stripe_fake: FakeStripe,
    app: FastAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner = await sign_in(personas.owner)
    stripe_fake.api_key = "sk_test_another"  # Stripe refuses our key: the error path logs
    texts = [(await owner.post("/api/orgs/acme/billing/checkout")).text]
    stripe_fake.api_key = SECRET_KEY
    texts += [
        (await owner.post(f"/api/orgs/acme/billing/{p}")).text for p in ("checkout", "portal")
    ]
    texts.append((await owner.get("/api/orgs/acme/billing")).text)
    texts.append(app.openapi().__repr__())
    captured = capsys.readouterr()
    for text in [*texts, captured.out, captured.err]:
        assert SECRET_KEY not in text
        assert WEBHOOK_SECRET not in text


async def test_checkout_on_a_self_hosted_server_is_a_409_and_calls_no_stripe(
    personas: Personas, sign_in: SignIn, app: FastAPI, stripe_fake: FakeStripe
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"billing_mode": "self_hosted"})
    owner = await sign_in(personas.owner)

    response = await owner.post("/api/orgs/acme/billing/checkout")

    assert response.status_code == 409
    assert "self-hosted" in response.json()["detail"]
    assert stripe_fake.requests == []
    shown: dict[str, object] = (await owner.get("/api/orgs/acme/billing")).json()
    assert shown["mode"] == "self_hosted"
    assert shown["plan"] is None
    assert shown["can_upgrade"] is False
