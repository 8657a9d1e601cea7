from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"frontend_url": "http://localhost:5173"}


async def test_the_web_app_origin_may_call_with_credentials(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/api/orgs",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-csrf-token",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-csrf-token" in preflight.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:5174", "null"])
async def test_any_other_origin_is_refused(client: httpx.AsyncClient, origin: str) -> None:
    preflight = await client.options(
        "/api/orgs",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.get("/api/me", headers={"Origin": origin})
    assert "access-control-allow-origin" not in simple.headers
