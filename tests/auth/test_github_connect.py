"""Connecting GitHub: an explicit step after sign-in that keeps the granted token,
encrypted, so monitors can read repositories; private access is a further consent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import AuditEvent, GitHubCredential
from tests.auth.conftest import github_sign_in
from tests.fakes.github_oauth import FakeGitHub


async def _start(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    """What the web app's consent page does: a POST with the CSRF header."""
    csrf = client.cookies.get("infrasync_csrf") or ""
    return await client.post("/auth/github/connect", json=body, headers={"X-CSRF-Token": csrf})


async def _connect(client: httpx.AsyncClient, private: bool) -> httpx.Response:
    start = await _start(client, private=private, return_to="/orgs")
    assert start.status_code == 200, start.text
    async with httpx.AsyncClient() as internet:
        approved = await internet.get(start.json()["authorize_url"])
    callback = urlsplit(approved.headers["location"])
    return await client.get(f"{callback.path}?{callback.query}")


@pytest.mark.parametrize("private", [False, True])
async def test_connecting_github_keeps_the_token_encrypted(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession, private: bool
) -> None:
    await github_sign_in(client)
    done = await _connect(client, private)
    assert done.status_code == 302
    assert done.headers["location"] == "http://127.0.0.1:8000/orgs"
    asked = github.authorize_requests[-1]["scope"].split()
    assert ("repo" in asked) is private
    token = list(github.tokens)[-1]  # the one granted by connecting
    assert ("repo" in github.token_scopes[token].split(",")) is private
    credential = (await session.execute(select(GitHubCredential))).scalar_one()
    assert token not in credential.encrypted_token  # stored encrypted, never in the clear
    assert credential.private_access is private
    assert credential.github_login == "octocat"
    actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "github.connect" in actions
    assert ("github.private_access_grant" in actions) is private


async def test_connecting_needs_a_signed_in_user(
    client: httpx.AsyncClient, github: FakeGitHub
) -> None:
    response = await _start(client)
    assert response.status_code == 401


async def test_connecting_cannot_be_started_cross_site(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    """A link or a form on another site can neither start nor finish a consent: the GET
    only shows the web app's consent page, and the POST needs the CSRF header."""
    await github_sign_in(client)
    page = await client.get(
        "/auth/github/connect", params={"private": "true", "return_to": "/orgs/acme/monitors"}
    )
    assert page.status_code == 302
    assert page.headers["location"] == (
        "http://127.0.0.1:8000/connect/github?private=true&return_to=%2Forgs%2Facme%2Fmonitors"
    )
    assert "infrasync_oauth_state" not in page.headers.get("set-cookie", "")
    forged = await client.post("/auth/github/connect", json={"private": True})
    assert forged.status_code == 403
    assert "infrasync_oauth_state" not in forged.headers.get("set-cookie", "")
    assert github.authorize_requests == [] or all(
        "repo" not in request["scope"].split() for request in github.authorize_requests
    )
    assert (await session.execute(select(GitHubCredential))).first() is None


async def test_a_connect_callback_in_a_signed_out_browser_is_refused(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    await github_sign_in(client)
    start = await _start(client)
    csrf = client.cookies["infrasync_csrf"]
    await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    async with httpx.AsyncClient() as internet:
        approved = await internet.get(start.json()["authorize_url"])
    callback = urlsplit(approved.headers["location"])
    refused = await client.get(f"{callback.path}?{callback.query}")
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == [
        "connect_needs_sign_in"
    ]
    assert (await session.execute(select(GitHubCredential))).first() is None
