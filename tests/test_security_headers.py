"""Every response carries the security headers: API, web app, static files, errors."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.routing import APIRoute

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    if request.node.get_closest_marker("production_urls"):
        return {
            "environment": "production",
            "secret_key": "p" * 40,
            "encryption_keys": Fernet.generate_key().decode(),
            "public_url": "https://api.example.com",
            "frontend_url": "https://app.example.com",
        }
    return {}


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = sources
    return parsed


def assert_protected(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def assert_web_app_policy(response: httpx.Response) -> None:
    assert_protected(response)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    # No inline script, no eval, nothing from another origin.
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),  # the web app's index.html
        ("GET", "/orgs/acme/monitors/3", 200),  # a deep link
        ("GET", "/assets/index-abc123.js", 200),
        ("GET", "/favicon.svg", 200),
        ("GET", "/assets/index-old999.js", 404),
        ("GET", "/health", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/ready", 200),
        ("GET", "/api/me", 401),
        ("POST", "/api/orgs", 401),
        ("GET", "/api/nope", 404),
        ("DELETE", "/api/orgs/acme/nothing-here", 404),
        ("GET", "/auth/link/", 404),
    ],
)
async def test_every_kind_of_response_carries_the_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert_web_app_policy(response)
    assert "strict-transport-security" not in response.headers  # plain-http development


async def test_a_too_large_body_and_a_bug_carry_the_headers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    too_large = await client.post("/api/orgs", content=b"x" * (2 * 1024 * 1024))
    assert too_large.status_code == 413
    assert_web_app_policy(too_large)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.router.routes.insert(0, APIRoute("/api/broken", broken))
    crashed = await client.get("/api/broken")
    assert crashed.status_code == 500
    assert_web_app_policy(crashed)


def _inline_script_hashes(html: str) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.S)
    ]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_docs_run_scripts_from_this_server_only(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert_protected(response)
    policy = directives(response)
    # No CDN, no inline script: Swagger UI and ReDoc come from this server.
    assert policy["script-src"] == ["'self'"]
    assert _inline_script_hashes(response.text) == []
    outside = policy["style-src"] + policy["font-src"] + policy["img-src"]
    assert not any("https:" in source for source in outside)
    assert "cdn" not in response.text.lower()


async def test_the_oauth2_redirect_page_may_run_its_own_inline_script_and_no_other(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    hashes = _inline_script_hashes(response.text)
    assert hashes
    # The page's own script, by hash: never 'unsafe-inline'.
    assert directives(response)["script-src"] == ["'self'", *hashes]
    assert response.headers["content-length"] == str(len(response.content))


@pytest.mark.production_urls
@pytest.mark.parametrize("path", ["/", "/health", "/api/me", "/docs"])
async def test_production_adds_hsts(app: FastAPI, path: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as http:
        response = await http.get(path)
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert_protected(response)
