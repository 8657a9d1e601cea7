"""The legal pages state the server's own cookie names, lifetimes and retention periods.
The web app keeps them in web/src/features/legal/facts.ts (the pages are read without a
session, so they cannot ask the API); this checks each against the backend, so a change
in cookies.py, the session lifetimes, the plans or the retention default that is not
made in the pages too fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infrasync.auth import cookies
from infrasync.auth import service as auth_service
from infrasync.billing.plans import PLANS
from infrasync.config import Settings

FACTS = Path(__file__).resolve().parents[1] / "web" / "src" / "features" / "legal" / "facts.ts"


def _facts() -> dict[str, str]:
    text = FACTS.read_text(encoding="utf-8")
    return dict(re.findall(r"export const (\w+) = (.+?);$", text, flags=re.MULTILINE))


def _number(name: str) -> int:
    return int(_facts()[name])


def _string(name: str) -> str:
    match = re.fullmatch(r'"([^"]*)"', _facts()[name])
    assert match is not None, _facts()[name]
    return match.group(1)


@pytest.mark.parametrize(
    ("name", "backend"),
    [
        ("SESSION_COOKIE", cookies.SESSION_COOKIE),
        ("CSRF_COOKIE", cookies.CSRF_COOKIE),
        ("OAUTH_STATE_COOKIE", cookies.OAUTH_STATE_COOKIE),
        ("OAUTH_STATE_PATH", cookies.OAUTH_STATE_PATH),
    ],
)
def test_the_cookie_policy_names_the_cookies_the_server_sets(name: str, backend: str) -> None:
    assert _string(name) == backend


def test_the_cookie_policy_states_the_session_and_sign_in_lifetimes() -> None:
    assert _number("SESSION_IDLE_DAYS") * 86400 == auth_service.SESSION_IDLE.total_seconds()
    assert _number("SESSION_ABSOLUTE_DAYS") * 86400 == auth_service.SESSION_ABSOLUTE.total_seconds()
    assert _number("OAUTH_STATE_MINUTES") * 60 == auth_service.OAUTH_STATE_TTL.total_seconds()


def test_the_privacy_policy_states_the_retention_and_each_plans_history() -> None:
    assert _number("DEFAULT_RETENTION_DAYS") == Settings.model_fields["retention_days"].default
    history = _facts()["HISTORY_DAYS"]
    stated = dict(re.findall(r"(\w+): (\d+)", history))
    assert {plan: int(days) for plan, days in stated.items()} == {
        name: limits.history_days for name, limits in PLANS.items()
    }


def test_every_cookie_the_server_sets_is_in_the_policy() -> None:
    # A new *_COOKIE constant in cookies.py must be named on the Cookie Policy too.
    names = {value for key, value in vars(cookies).items() if key.endswith("_COOKIE")}
    stated = {_string(key) for key in _facts() if key.endswith("_COOKIE")}
    assert names == stated
