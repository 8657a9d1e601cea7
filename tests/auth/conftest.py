from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fakes.github_oauth import FakeGitHub
from tests.fakes.http_server import serve_in_thread


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def settings_overrides(github: FakeGitHub) -> dict[str, object]:
    base_url: str = github.base_url  # type: ignore[attr-defined]
    return {
        "github_url": base_url,
        "github_api_url": base_url,
        "github_client_id": github.client_id,
        "github_client_secret": github.client_secret,
    }


async def start_github_sign_in(client: httpx.AsyncClient, return_to: str | None = None) -> str:
    """Clicks "Sign in with GitHub" and lets (fake) GitHub approve: returns the callback
    path and query GitHub redirects the browser to."""
    params = {"return_to": return_to} if return_to else {}
    login = await client.get("/auth/github/login", params=params)
    assert login.status_code == 302, login.text
    async with httpx.AsyncClient() as internet:
        approved = await internet.get(login.headers["location"])
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["location"])
    return f"{callback.path}?{callback.query}"


async def github_sign_in(client: httpx.AsyncClient, return_to: str | None = None) -> httpx.Response:
    return await client.get(await start_github_sign_in(client, return_to))
