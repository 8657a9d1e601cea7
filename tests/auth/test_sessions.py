from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import AuditEvent, AuthSession
from tests.auth.conftest import github_sign_in
from tests.conftest import Personas, SignIn, client_with
from tests.fakes.github_oauth import FakeGitHub


def _set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    cookies: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            cookies[name] = parsed
    return cookies


async def test_session_cookie_attributes_on_plain_http_localhost(
    client: httpx.AsyncClient, github: FakeGitHub
) -> None:
    response = await github_sign_in(client)
    cookies = _set_cookies(response)
    session = cookies[SESSION_COOKIE][SESSION_COOKIE]
    assert session["httponly"] is True
    assert session["samesite"] == "lax"
    assert session["path"] == "/"
    assert session["domain"] == ""  # host-only on localhost
    assert not session["secure"]  # plain-http localhost: browsers would drop a Secure one
    csrf = cookies[CSRF_COOKIE][CSRF_COOKIE]
    assert not csrf["httponly"]  # the web app reads it to send X-CSRF-Token
    assert csrf["samesite"] == "lax"


@pytest.fixture
def settings_overrides(github: FakeGitHub, request: pytest.FixtureRequest) -> dict[str, object]:
    base_url: str = github.base_url  # type: ignore[attr-defined]
    overrides: dict[str, object] = {
        "github_url": base_url,
        "github_api_url": base_url,
        "github_client_id": github.client_id,
        "github_client_secret": github.client_secret,
    }
    if request.node.get_closest_marker("production_urls"):
        overrides.update(
            environment="production",
            secret_key="p" * 40,
            encryption_keys=Fernet.generate_key().decode(),
            public_url="https://api.example.com",
            frontend_url="https://app.example.com",
        )
    return overrides


@pytest.mark.production_urls
async def test_cookies_on_https_carry_secure_and_the_derived_domain(
    app: FastAPI, github: FakeGitHub
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as http:
        response = await github_sign_in(http)
        assert response.headers["location"] == "https://app.example.com/"
        cookies = _set_cookies(response)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            assert cookies[name][name]["secure"] is True
            assert cookies[name][name]["domain"] == ".example.com"

        csrf = http.cookies[CSRF_COOKIE]
        logout = await http.post("/auth/logout", headers={"X-CSRF-Token": csrf})
        assert logout.status_code == 204
        cleared = _set_cookies(logout)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            # Cleared with the very domain and path it was set with, or it would survive.
            assert cleared[name][name]["domain"] == ".example.com"
            assert cleared[name][name]["path"] == "/"
            assert cleared[name][name]["max-age"] == "0"


async def test_logout_ends_the_session_on_the_server(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession, app: FastAPI
) -> None:
    await github_sign_in(client)
    stolen_cookie = client.cookies[SESSION_COOKIE]
    csrf = client.cookies[CSRF_COOKIE]
    assert (await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
    assert (await client.get("/api/me")).status_code == 401
    # A copy of the cookie taken before sign-out is worthless too.
    async with client_with(app, {SESSION_COOKIE: stolen_cookie}) as thief:
        assert (await thief.get("/api/me")).status_code == 401
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "auth.sign_out" in actions


async def test_logout_needs_the_csrf_header(client: httpx.AsyncClient, github: FakeGitHub) -> None:
    await github_sign_in(client)
    refused = await client.post("/auth/logout")
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert (await client.get("/api/me")).status_code == 200


async def test_unsafe_methods_need_the_csrf_header(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    missing = await owner.post("/api/orgs", json={"name": "New"}, headers={"X-CSRF-Token": ""})
    assert missing.status_code == 403
    wrong = await owner.post("/api/orgs", json={"name": "New"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    ok = await owner.post("/api/orgs", json={"name": "New"})
    assert ok.status_code == 201
    # Safe methods need no header.
    assert (await owner.get("/api/orgs", headers={"X-CSRF-Token": ""})).status_code == 200


async def test_a_csrf_token_of_another_session_is_refused(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    owner = await sign_in(personas.owner)
    other = await sign_in(personas.admin)
    stolen = other.headers["X-CSRF-Token"]
    cookies = {SESSION_COOKIE: owner.cookies[SESSION_COOKIE], CSRF_COOKIE: stolen}
    async with client_with(app, cookies, {"X-CSRF-Token": stolen}) as forger:
        response = await forger.post("/api/orgs", json={"name": "New"})
    assert response.status_code == 403


async def test_a_tampered_session_cookie_is_refused(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    owner = await sign_in(personas.owner)
    cookie = owner.cookies[SESSION_COOKIE]
    token, signature = cookie.rsplit(".", 1)
    assert (await owner.get("/api/me")).status_code == 200
    flipped = "B" if signature[-1] == "A" else "A"
    for forged in (f"{token}x.{signature}", f"{token}.{signature[:-1]}{flipped}", token, "garbage"):
        async with client_with(app, {SESSION_COOKIE: forged}) as forger:
            response = await forger.get("/api/me")
        assert response.status_code == 401, forged


async def test_expired_and_revoked_sessions_are_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    idle = await sign_in(personas.owner)
    capped = await sign_in(personas.admin)
    revoked = await sign_in(personas.member)
    rows = {row.user_id: row for row in (await session.execute(select(AuthSession))).scalars()}
    rows[personas.owner.id].expires_at = utcnow() - timedelta(seconds=1)
    rows[personas.admin.id].absolute_expires_at = utcnow() - timedelta(seconds=1)
    rows[personas.member.id].revoked_at = utcnow()
    await session.commit()
    for http in (idle, capped, revoked):
        response = await http.get("/api/me")
        assert response.status_code == 401
        assert "sign in again" in response.json()["detail"]


async def test_a_session_slides_but_never_past_its_cap(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    http = await sign_in(personas.owner)
    row = (await session.execute(select(AuthSession))).scalar_one()
    row.last_seen_at = utcnow() - timedelta(days=10)
    row.expires_at = utcnow() + timedelta(days=4)
    row.absolute_expires_at = utcnow() + timedelta(days=6)
    await session.commit()

    assert (await http.get("/api/me")).status_code == 200

    await session.refresh(row)
    assert row.expires_at == row.absolute_expires_at  # slid forward, stopped at the cap
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


async def test_a_deleted_user_loses_access_on_the_next_request(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    http = await sign_in(personas.member)
    assert (await http.get("/api/me")).status_code == 200
    personas.member.deleted_at = utcnow()
    session.add(personas.member)
    await session.commit()
    assert (await http.get("/api/me")).status_code == 401


async def test_a_new_secret_key_ends_every_session(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    http = await sign_in(personas.owner)
    app.state.settings = app.state.settings.model_copy(update={"secret_key": SecretStr("n" * 48)})
    assert (await http.get("/api/me")).status_code == 401


async def test_session_tokens_are_stored_hashed(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    http = await sign_in(personas.owner)
    token = http.cookies[SESSION_COOKIE].rsplit(".", 1)[0]
    row = (await session.execute(select(AuthSession))).scalar_one()
    assert token not in row.token_hash
    assert row.token_hash == hash_token(token)
