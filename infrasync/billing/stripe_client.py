"""The one Stripe client: nothing else imports `stripe` (ARCHITECTURE "Outside services").

The SDK is imported inside the functions that call Stripe: most processes (the CLI, a
self-hosted server, the worker) never do, and it costs every start to load. Requests go
to `INFRASYNC_STRIPE_API_BASE` (tests point it at tests/fakes/stripe_api.py) with the API
version pinned below, whatever the account's default is, so the objects we read always
have the shape this module expects. Webhook signatures are checked here too, by hand, on
the raw body: the scheme is a few lines, and a test can give the moment it is checked at.

Nothing here logs or returns the secret key or the webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from infrasync.config import Settings

if TYPE_CHECKING:
    from stripe import StripeClient

# The API version every request names (the one stripe-python 16.1 is built for). Objects
# of older versions (the recorded 2020-03-02 events) are read by `subscription_of`, which
# looks in both places where fields moved.
API_VERSION: Final = "2026-10-28.endive"
SIGNATURE_TOLERANCE_SECONDS: Final = 300
_TIMEOUT_SECONDS: Final = 20.0
_RETRIES: Final = 2  # the SDK retries with the same idempotency key


class StripeUnavailable(Exception):
    """Stripe could not be reached, or answered with a server error: try again later."""


class StripeRefused(Exception):
    """Stripe refused the request (a wrong key, an unknown price): an operator's fix."""


class SignatureInvalid(Exception):
    """The `Stripe-Signature` header does not prove that Stripe sent this body now."""


@dataclass(frozen=True)
class Subscription:
    """What billing reads of a Stripe subscription, in any API version."""

    id: str
    customer: str
    status: str
    created: datetime | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool


def _moment(value: object) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


def _period(data: Mapping[str, Any], key: str) -> datetime | None:
    """`current_period_*` sits on the subscription up to 2025-03-31.basil, and only on
    each of its items from then on."""
    if (found := _moment(data.get(key))) is not None:
        return found
    items = data.get("items")
    rows = items.get("data") if isinstance(items, Mapping) else None
    for item in rows if isinstance(rows, list) else []:
        if isinstance(item, Mapping) and (found := _moment(item.get(key))) is not None:
            return found
    return None


def _id_of(value: object) -> str | None:
    """An expandable field: the id, or the expanded object's id."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def subscription_of(data: Mapping[str, Any]) -> Subscription | None:
    """A subscription object (from the API or an event) as billing reads it; None when
    it is not one."""
    sub_id, customer = _id_of(data.get("id")), _id_of(data.get("customer"))
    status = data.get("status")
    if sub_id is None or customer is None or not isinstance(status, str):
        return None
    return Subscription(
        id=sub_id,
        customer=customer,
        status=status,
        created=_moment(data.get("created")),
        current_period_start=_period(data, "current_period_start"),
        current_period_end=_period(data, "current_period_end"),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
    )


def customer_of(data: Mapping[str, Any]) -> str | None:
    """The customer a checkout session, subscription or invoice belongs to."""
    return _id_of(data.get("customer"))


def is_configured(settings: Settings) -> bool:
    return bool(
        settings.stripe_secret_key
        and settings.stripe_secret_key.get_secret_value()
        and settings.stripe_price_pro
    )


def _http_client() -> Any:
    """The SDK's httpx client, passing the form body as `content`: the SDK passes bytes
    as `data`, which httpx deprecates (a DeprecationWarning on every request)."""
    import stripe

    class _HTTPXClient(stripe.HTTPXClient):
        def _get_request_args_kwargs(  # type: ignore[no-untyped-def]
            self, method: str, url: str, headers: Mapping[str, str], post_data
        ):
            args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
            body = kwargs.pop("data", None)
            if body:
                kwargs["content"] = body
            return args, kwargs

    return _HTTPXClient(timeout=_TIMEOUT_SECONDS)


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[StripeClient]:
    import stripe

    if settings.stripe_secret_key is None:
        raise StripeRefused("INFRASYNC_STRIPE_SECRET_KEY is not set.")
    http = _http_client()
    client = stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        stripe_version=API_VERSION,
        base_addresses={"api": settings.stripe_api_base},
        max_network_retries=_RETRIES,
        http_client=http,
    )
    try:
        yield client
    except stripe.APIConnectionError as error:
        raise StripeUnavailable(f"Stripe could not be reached ({type(error).__name__}).") from None
    except stripe.APIError as error:
        raise StripeUnavailable(f"Stripe answered {error.http_status}.") from None
    except stripe.StripeError as error:
        # The user-facing message only: Stripe's messages name no key (it redacts them).
        message = getattr(error, "user_message", None) or type(error).__name__
        raise StripeRefused(
            f"Stripe refused the request ({error.http_status}: {message})."
        ) from None
    finally:
        await http.close_async()


async def create_customer(
    settings: Settings, *, name: str, metadata: dict[str, str], idempotency_key: str
) -> str:
    """A customer, made once per idempotency key: a double click, or a retry after a
    lost answer, gets the same customer back rather than a second one."""
    async with _client(settings) as client:
        customer = await client.v1.customers.create_async(
            {"name": name, "metadata": metadata}, {"idempotency_key": idempotency_key}
        )
        return str(customer.id)


async def create_checkout_session(
    settings: Settings,
    *,
    customer: str,
    client_reference_id: str,
    success_url: str,
    cancel_url: str,
    metadata: dict[str, str],
) -> str:
    """A hosted Checkout page for the pro price; returns its URL."""
    assert settings.stripe_price_pro is not None
    async with _client(settings) as client:
        session = await client.v1.checkout.sessions.create_async(
            {
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": client_reference_id,
                "line_items": [{"price": settings.stripe_price_pro, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        )
        if not session.url:
            raise StripeUnavailable("Stripe made a Checkout session without a URL.")
        return str(session.url)


async def create_portal_session(settings: Settings, *, customer: str, return_url: str) -> str:
    """A Billing Portal page for the customer; returns its URL."""
    async with _client(settings) as client:
        session = await client.v1.billing_portal.sessions.create_async(
            {"customer": customer, "return_url": return_url}
        )
        return str(session.url)


async def subscriptions_of(settings: Settings, customer: str) -> list[Subscription]:
    """Every subscription of the customer as Stripe holds it now, ended ones included."""
    async with _client(settings) as client:
        page = await client.v1.subscriptions.list_async(
            {"customer": customer, "status": "all", "limit": 100}
        )
        found = [subscription_of(item.to_dict()) for item in page.data]
        return [item for item in found if item is not None]


def verify_signature(
    payload: bytes, header: str | None, secret: str | None, *, now: datetime
) -> None:
    """Raises SignatureInvalid unless `header` signs `payload` (the raw body, exactly as
    received) with `secret`, at most SIGNATURE_TOLERANCE_SECONDS before `now`.

    Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, possibly
    several v1 values while a secret is rolled (any may match); other schemes (v0) are
    ignored. An unset or empty secret accepts nothing.
    """
    if not secret:
        raise SignatureInvalid("no webhook signing secret is configured")
    if not header:
        raise SignatureInvalid("the Stripe-Signature header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureInvalid("the Stripe-Signature header has no timestamp or no v1 value")
    signed = str(timestamp).encode() + b"." + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureInvalid("no v1 signature matches")
    if timestamp < now.timestamp() - SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureInvalid("the signature is older than the tolerance")
