"""The Stripe client module: Stripe's signature scheme (with the moment it is checked at
given, not read from the wall clock), and that it is the only importer of `stripe`."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import infrasync
from infrasync.billing.stripe_client import SignatureInvalid, subscription_of, verify_signature
from tests.billing.conftest import recorded
from tests.fixtures import STRIPE_FIXTURES

# The test vector of tests/fixtures/stripe/README.md (computed with Python's hmac).
BODY = b'{"id":"evt_test_webhook","object":"event"}'
SECRET = "whsec_test_secret"
HEADER = "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"
SIGNED_AT = datetime.fromtimestamp(1700000000, UTC)


def _at(seconds_later: int) -> datetime:
    return datetime.fromtimestamp(1700000000 + seconds_later, UTC)


def test_the_readmes_vector_verifies_within_300_seconds() -> None:
    verify_signature(BODY, HEADER, SECRET, now=SIGNED_AT)
    verify_signature(BODY, HEADER, SECRET, now=_at(300))
    # A timestamp from the future is not refused (as stripe-python does not).
    verify_signature(BODY, HEADER, SECRET, now=_at(-60))
    with pytest.raises(SignatureInvalid, match="older"):
        verify_signature(BODY, HEADER, SECRET, now=_at(301))


def test_any_of_several_v1_signatures_may_match_and_v0_never_counts() -> None:
    digest = HEADER.split("v1=")[1]
    verify_signature(BODY, f"t=1700000000,v1={'0' * 64},v1={digest}", SECRET, now=SIGNED_AT)
    with pytest.raises(SignatureInvalid):
        verify_signature(BODY, f"t=1700000000,v0={digest}", SECRET, now=SIGNED_AT)


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        (BODY + b" ", HEADER, SECRET),  # the raw body, byte for byte
        (BODY, HEADER, "whsec_other"),
        (BODY, HEADER, ""),
        (BODY, HEADER, None),
        (BODY, None, SECRET),
        (BODY, "", SECRET),
        (BODY, "v1=" + HEADER.split("v1=")[1], SECRET),  # no timestamp
        (BODY, "t=1700000001," + HEADER.split(",")[1], SECRET),  # timestamp changed
        (BODY, "garbage", SECRET),
    ],
)
def test_anything_else_is_refused(body: bytes, header: str | None, secret: str | None) -> None:
    with pytest.raises(SignatureInvalid):
        verify_signature(body, header, secret, now=SIGNED_AT)


def test_subscriptions_are_read_in_the_old_and_the_current_shape() -> None:
    old = subscription_of(recorded("subscription_created")["data"]["object"])
    assert old is not None
    assert (old.status, old.customer) == ("active", "cus_IhGfebO16cMIGN")
    assert old.current_period_start == datetime.fromtimestamp(1623148918, UTC)
    current_shape = json.loads(
        (STRIPE_FIXTURES / "objects/stripe-openapi/subscription.json").read_text()
    )
    assert "current_period_start" not in current_shape  # only on its items since basil
    current = subscription_of(current_shape)
    assert current is not None
    assert current.current_period_start == datetime.fromtimestamp(1896570518, UTC)


def test_only_the_stripe_client_imports_stripe() -> None:
    package = Path(infrasync.__file__).parent
    importers = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                importers.append(str(path.relative_to(package)))
    assert sorted(set(importers)) == ["billing/stripe_client.py"]


def test_loading_the_app_does_not_load_the_sdk() -> None:
    """Imported inside the functions that call Stripe: a server that never bills never
    pays for loading it."""
    code = "import sys, infrasync.app, infrasync.billing.service; print('stripe' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
