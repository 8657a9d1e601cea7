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


async def _connect(client: httpx.AsyncClient, private: bool) -> httpx.Response:
    start = await client.get(
        "/auth/github/connect", params={"private": str(private).lower(), "return_to": "/orgs"}
    )
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as internet:
        approved = await internet.get(start.headers["location"])
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
    response = await client.get("/auth/github/connect")
    assert response.status_code == 401


async def test_a_connect_callback_in_a_signed_out_browser_is_refused(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    await github_sign_in(client)
    start = await client.get("/auth/github/connect")
    csrf = client.cookies["infrasync_csrf"]
    await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    async with httpx.AsyncClient() as internet:
        approved = await internet.get(start.headers["location"])
    callback = urlsplit(approved.headers["location"])
    refused = await client.get(f"{callback.path}?{callback.query}")
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == [
        "connect_needs_sign_in"
    ]
    assert (await session.execute(select(GitHubCredential))).first() is None
