"""Without INFRASYNC_ALLOW_PRIVATE_WEBHOOKS, a channel cannot point inside the server's
network: refused when saved. (A name that resolves there only later is refused when
connecting: tests/channels/test_ssrf.py rebinds one.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Personas, SignIn
from tests.delivery.conftest import ENCRYPTION_KEY


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": ENCRYPTION_KEY}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/in",
        "http://[::1]/in",
        "http://localhost/in",
    ],
)
async def test_a_webhook_into_the_servers_network_is_a_422(
    sign_in: SignIn, personas: Personas, url: str
) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.post(
        "/api/orgs/acme/channels", json={"kind": "webhook", "name": "x", "url": url}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("url: ")


async def test_a_slack_url_on_another_host_is_a_422_even_with_slacks_path(
    sign_in: SignIn, personas: Personas
) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.post(
        "/api/orgs/acme/channels",
        json={"kind": "slack", "name": "x", "url": "https://evil.example/services/T1/B2/abc"},
    )
    assert response.status_code == 422
    assert "hooks.slack.com" in response.json()["detail"]
