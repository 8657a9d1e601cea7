"""With no webhook secret, or on a self-hosted server, the webhook accepts nothing, however
the event is signed."""

from __future__ import annotations

import httpx
import pytest

from tests.billing.conftest import (
    WEBHOOK_SECRET,
    become_customer,
    deliver,
    plan,
    recorded,
)
from tests.conftest import Personas, SignIn
from tests.fakes.stripe_api import FakeStripe


@pytest.fixture(params=["empty_secret", "no_secret", "self_hosted"])
def settings_overrides(
    request: pytest.FixtureRequest, stripe_fake: FakeStripe
) -> dict[str, object]:
    saas: dict[str, object] = {
        "billing_mode": "saas",
        "stripe_secret_key": "sk_test_infrasync_fake_key",
        "stripe_price_pro": "price_infrasync_pro",
        "stripe_api_base": stripe_fake.base_url,
    }
    if request.param == "empty_secret":
        return {**saas, "stripe_webhook_secret": ""}
    if request.param == "no_secret":
        return saas
    return {"stripe_webhook_secret": WEBHOOK_SECRET}  # self-hosted, the default mode


async def test_every_event_is_refused(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient, stripe_fake: FakeStripe
) -> None:
    owner = await sign_in(personas.owner)
    shown = (await owner.get("/api/orgs/acme/billing")).json()
    if shown["mode"] == "saas":
        await become_customer(owner)
    stripe_fake.put_subscription(recorded("subscription_created")["data"]["object"])
    event = recorded("subscription_created")

    for secret in (WEBHOOK_SECRET, ""):
        response = await deliver(client, event, secret=secret)
        assert response.status_code == 400, response.text

    assert await plan(owner) in ("free", None)
    assert not [seen for seen in stripe_fake.requests if seen.path == "/v1/subscriptions"]
