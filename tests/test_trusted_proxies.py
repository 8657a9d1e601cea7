"""X-Forwarded-For names the client only when it comes from INFRASYNC_TRUSTED_PROXIES.

Driven against a real `infrasync serve` on 127.0.0.1, since uvicorn is where the header
is read: a local client must not pick the address the audit log records or the rate
limits count, unless the operator said 127.0.0.1 is their proxy.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from infrasync.auth.router import SIGN_IN_LIMIT
from infrasync.config import SettingsError, load_settings
from tests.live_server import live_server, server_output

LINK = re.compile(r"http://127\.0\.0\.1:\d+/auth/link/[A-Za-z0-9_-]+")
FORGED = "203.0.113.7"  # TEST-NET-3: no real client has it


def _signed_in_address(cwd: Path, base_url: str) -> str | None:
    """Signs in with the first-admin link, claiming to be FORGED; the address the audit
    log then records for that sign-in."""
    [link] = LINK.findall(server_output(cwd))
    with httpx.Client(headers={"X-Forwarded-For": FORGED}) as browser:
        assert browser.get(link).status_code == 302
        events = browser.get(f"{base_url}/api/me/audit").json()["items"]
    [sign_in] = [event for event in events if event["action"] == "auth.sign_in"]
    ip: str | None = sign_in["ip"]
    return ip


def _statuses_with_a_new_address_each_time(base_url: str) -> list[int]:
    with httpx.Client() as client:
        return [
            client.get(
                f"{base_url}/auth/link/guess",
                headers={"X-Forwarded-For": f"198.51.100.{number}"},
            ).status_code
            for number in range(SIGN_IN_LIMIT.requests + 1)
        ]


def test_a_forged_forwarded_for_changes_nothing_by_default(
    tmp_path: Path, database_url: str
) -> None:
    with live_server(tmp_path, "--no-worker", INFRASYNC_DATABASE_URL=database_url) as base_url:
        assert _signed_in_address(tmp_path, base_url) == "127.0.0.1"
        statuses = _statuses_with_a_new_address_each_time(base_url)
    assert statuses[-1] == 429  # one client, however many addresses it claims


def test_a_trusted_proxy_names_the_client(tmp_path: Path, database_url: str) -> None:
    with live_server(
        tmp_path,
        "--no-worker",
        INFRASYNC_DATABASE_URL=database_url,
        INFRASYNC_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1",
    ) as base_url:
        assert _signed_in_address(tmp_path, base_url) == FORGED
        statuses = _statuses_with_a_new_address_each_time(base_url)
    assert 429 not in statuses  # each client behind the proxy has an allowance of its own


def test_trusted_proxies_are_read_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().trusted_proxies == ()
    monkeypatch.setenv("INFRASYNC_TRUSTED_PROXIES", " 10.1.2.3/8, ::1 ,192.168.0.10")
    assert load_settings().trusted_proxies == ("10.0.0.0/8", "::1", "192.168.0.10")


def test_a_trusted_proxy_that_is_not_an_address_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INFRASYNC_TRUSTED_PROXIES", "10.0.0.1, proxy.internal")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems == [
        "INFRASYNC_TRUSTED_PROXIES is invalid: 'proxy.internal' is not an IP address or "
        "a CIDR network (such as 10.0.0.0/8)."
    ]
