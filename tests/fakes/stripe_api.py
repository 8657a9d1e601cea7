"""A local Stripe API: customers, Checkout sessions, Billing Portal sessions and
subscriptions, in Stripe's REST shapes (form-encoded requests, JSON objects shaped like
the stripe/openapi fixtures, Stripe's error bodies), served over real HTTP so the
`stripe` SDK talks to it as to api.stripe.com.

It keeps what a test needs to look at: every request with its API version and
idempotency key. Idempotency works as Stripe's does: a repeated key gets the first
answer again, so a double click makes one customer.

Its hosted Checkout page (`GET /checkout/<id>`, for the browser test) has a Pay button:
paying makes an active subscription, delivers a signed `checkout.session.completed` to
`webhook_url` (when set) and redirects to the session's `success_url`, as Stripe does.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.http_server import serve_in_thread
from tests.fixtures import STRIPE_FIXTURES

OBJECTS = STRIPE_FIXTURES / "objects" / "stripe-openapi"
_ids = itertools.count(1)


def _shape(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OBJECTS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _new_id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):06d}"


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """A `Stripe-Signature` header for `payload`, made as Stripe makes it."""
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _nest(form: list[tuple[str, str]]) -> dict[str, Any]:
    """`metadata[org_id]=…`, `line_items[0][price]=…` → nested dicts (lists as dicts
    keyed by index, which is all these tests read)."""
    result: dict[str, Any] = {}
    for key, value in form:
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, Any]
    stripe_version: str | None
    idempotency_key: str | None


@dataclass
class FakeStripe:
    api_key: str
    price: str
    # Customer ids to hand out, in order (a recorded one, so recorded events match).
    customer_ids: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)  # statuses the webhook answered
    down: bool = False  # answers 500 to everything, as during an outage
    base_url: str = ""
    _idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/customers", self.create_customer, methods=["POST"]),
                Route("/v1/customers/{id}", self.get_customer, methods=["GET"]),
                Route("/v1/checkout/sessions", self.create_checkout, methods=["POST"]),
                Route("/v1/billing_portal/sessions", self.create_portal, methods=["POST"]),
                Route("/v1/subscriptions", self.list_subscriptions, methods=["GET"]),
                Route("/v1/subscriptions/{id}", self.get_subscription, methods=["GET"]),
                Route("/checkout/{id}", self.checkout_page, methods=["GET"]),
                Route("/checkout/{id}/pay", self.pay, methods=["POST"]),
                Route("/portal/{id}", self.portal_page, methods=["GET"]),
            ]
        )

    # Test helpers -------------------------------------------------------------------

    def put_subscription(self, subscription: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """Holds `subscription` (e.g. a recorded event's data.object) as Stripe's current
        state of it, with `changes` applied."""
        held = {**copy.deepcopy(subscription), **changes}
        self.subscriptions[held["id"]] = held
        return held

    def customers_named(self, org_id: str) -> list[dict[str, Any]]:
        return [c for c in self.customers.values() if c["metadata"].get("org_id") == org_id]

    # The API ------------------------------------------------------------------------

    def _error(
        self, status: int, message: str, kind: str = "invalid_request_error"
    ) -> JSONResponse:
        return JSONResponse({"error": {"type": kind, "message": message}}, status)

    async def _read(self, request: Request) -> tuple[dict[str, Any], JSONResponse | None]:
        form = await request.form()
        params = _nest([(k, str(v)) for k, v in form.multi_items()])
        if request.method == "GET":
            params = dict(request.query_params)
        self.requests.append(
            Seen(
                request.method,
                request.url.path,
                params,
                request.headers.get("stripe-version"),
                request.headers.get("idempotency-key"),
            )
        )
        if self.down:
            return params, self._error(500, "An unknown error occurred", "api_error")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return params, self._error(401, "Invalid API Key provided: sk_****")
        return params, None

    async def create_customer(self, request: Request) -> Response:
        params, refused = await self._read(request)
        if refused is not None:
            return refused
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key is not None and key in self._idempotent:
                status, body = self._idempotent[key]
                return JSONResponse(body, status, headers={"Idempotent-Replayed": "true"})
            customer = _shape("customer")
            customer.update(
                id=self.customer_ids.pop(0) if self.customer_ids else _new_id("cus"),
                created=int(time.time()),
                name=params.get("name"),
                metadata=params.get("metadata", {}),
                discount=None,
            )
            self.customers[customer["id"]] = customer
            if key is not None:
                self._idempotent[key] = (200, customer)
        return JSONResponse(customer)

    async def get_customer(self, request: Request) -> Response:
        _, refused = await self._read(request)
        if refused is not None:
            return refused
        found = self.customers.get(request.path_params["id"])
        if found is None:
            return self._error(404, f"No such customer: '{request.path_params['id']}'")
        return JSONResponse(found)

    async def create_checkout(self, request: Request) -> Response:
        params, refused = await self._read(request)
        if refused is not None:
            return refused
        customer = params.get("customer")
        if customer not in self.customers:
            return self._error(400, f"No such customer: '{customer}'")
        items = params.get("line_items", {})
        if [item.get("price") for item in items.values()] != [self.price]:
            return self._error(400, f"No such price: '{items}'")
        if params.get("mode") != "subscription":
            return self._error(400, "This fake only makes subscription sessions.")
        session = _shape("checkout.session")
        session_id = _new_id("cs_test")
        session.update(
            id=session_id,
            customer=customer,
            client_reference_id=params.get("client_reference_id"),
            mode="subscription",
            metadata=params.get("metadata", {}),
            success_url=params.get("success_url"),
            cancel_url=params.get("cancel_url"),
            status="open",
            payment_status="unpaid",
            subscription=None,
            url=f"{self.base_url}/checkout/{session_id}",
            created=int(time.time()),
        )
        self.checkout_sessions[session_id] = session
        return JSONResponse(session)

    async def create_portal(self, request: Request) -> Response:
        params, refused = await self._read(request)
        if refused is not None:
            return refused
        customer = params.get("customer")
        if customer not in self.customers:
            return self._error(400, f"No such customer: '{customer}'")
        portal_id = _new_id("bps")
        session = {
            "id": portal_id,
            "object": "billing_portal.session",
            "configuration": "bpc_fake",
            "created": int(time.time()),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": None,
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"{self.base_url}/portal/{portal_id}",
        }
        self.portal_sessions[portal_id] = session
        return JSONResponse(session)

    async def list_subscriptions(self, request: Request) -> Response:
        params, refused = await self._read(request)
        if refused is not None:
            return refused
        customer, status = params.get("customer"), params.get("status", "active")
        found = [
            s
            for s in self.subscriptions.values()
            if (customer is None or s["customer"] == customer)
            and (status == "all" or s["status"] == status)
        ]
        found.sort(key=lambda s: s.get("created") or 0, reverse=True)
        return JSONResponse(
            {"object": "list", "data": found, "has_more": False, "url": "/v1/subscriptions"}
        )

    async def get_subscription(self, request: Request) -> Response:
        _, refused = await self._read(request)
        if refused is not None:
            return refused
        found = self.subscriptions.get(request.path_params["id"])
        if found is None:
            return self._error(404, f"No such subscription: '{request.path_params['id']}'")
        return JSONResponse(found)

    # Hosted pages -------------------------------------------------------------------

    async def checkout_page(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["id"])
        if session is None:
            return HTMLResponse("<h1>No such Checkout session</h1>", 404)
        action = html.escape(f"/checkout/{session['id']}/pay")
        return HTMLResponse(
            "<!doctype html><title>Fake Stripe Checkout</title><h1>Subscribe to pro</h1>"
            f'<form method="post" action="{action}"><button type="submit">Pay</button></form>'
        )

    async def portal_page(self, request: Request) -> Response:
        if request.path_params["id"] not in self.portal_sessions:
            return HTMLResponse("<h1>No such portal session</h1>", 404)
        return HTMLResponse("<!doctype html><title>Fake Stripe Portal</title><h1>Portal</h1>")

    def _subscription_for(self, session: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        subscription = _shape("subscription")
        sub_id = _new_id("sub")
        item = subscription["items"]["data"][0]
        item.update(
            subscription=sub_id, current_period_start=now, current_period_end=now + 30 * 86400
        )
        item["price"]["id"] = self.price
        subscription.update(
            id=sub_id,
            customer=session["customer"],
            status="active",
            created=now,
            start_date=now,
            cancel_at=None,
            canceled_at=None,
            ended_at=None,
            cancel_at_period_end=False,
            metadata=session.get("metadata", {}),
        )
        return subscription

    async def pay(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["id"])
        if session is None:
            return HTMLResponse("<h1>No such Checkout session</h1>", 404)
        subscription = self._subscription_for(session)
        self.subscriptions[subscription["id"]] = subscription
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        if self.webhook_url and self.webhook_secret:
            event = {
                "id": _new_id("evt"),
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": int(time.time()),
                "data": {"object": session},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": "checkout.session.completed",
            }
            body = json.dumps(event).encode()
            header = sign(body, self.webhook_secret, int(time.time()))
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(
                    self.webhook_url,
                    content=body,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                )
            self.delivered.append(answer.status_code)
        return RedirectResponse(session["success_url"], status_code=303)


@contextmanager
def running(fake: FakeStripe) -> Iterator[FakeStripe]:
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake
