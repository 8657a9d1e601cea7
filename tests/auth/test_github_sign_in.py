from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import AuditEvent, User
from tests.auth.conftest import github_sign_in, start_github_sign_in
from tests.fakes.github_oauth import FakeGitHub, GitHubAccount


def _error_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/signin"
    return parse_qs(location.query)["error"][0]


async def test_signing_in_with_github_end_to_end(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    response = await github_sign_in(client)

    assert response.status_code == 302
    assert response.headers["location"] == "http://127.0.0.1:8000/"
    me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["login"] == "octocat"
    assert me.json()["email"] == "octocat@example.com"  # the primary verified one
    assert me.json()["avatar_url"].startswith("https://")
    # GitHub was asked for the sign-in scopes only.
    assert github.authorize_requests[0]["scope"] == "read:user user:email"
    assert github.authorize_requests[0]["redirect_uri"] == (
        "http://127.0.0.1:8000/auth/github/callback"
    )
    signed_in = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.sign_in")
    )
    assert signed_in == 1


async def test_the_browser_returns_where_it_started(
    client: httpx.AsyncClient, github: FakeGitHub
) -> None:
    response = await github_sign_in(client, return_to="/orgs/acme/monitors/3")
    assert response.headers["location"] == "http://127.0.0.1:8000/orgs/acme/monitors/3"


@pytest.mark.parametrize("return_to", ["https://evil.example/", "//evil.example/x", "javascript:x"])
async def test_return_to_never_leaves_the_web_app(
    client: httpx.AsyncClient, github: FakeGitHub, return_to: str
) -> None:
    response = await github_sign_in(client, return_to=return_to)
    assert response.headers["location"] == "http://127.0.0.1:8000/"


async def test_a_user_is_found_by_github_id_when_login_and_email_change(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    await github_sign_in(client)
    first_id = (await client.get("/api/me")).json()["id"]
    github.account = GitHubAccount.make(583231, "octocat-renamed", "new@example.com")
    client.cookies.clear()
    await github_sign_in(client)
    me = (await client.get("/api/me")).json()
    assert me["id"] == first_id
    assert (me["login"], me["email"]) == ("octocat-renamed", "new@example.com")
    assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_an_unverified_primary_email_is_not_taken(
    client: httpx.AsyncClient, github: FakeGitHub
) -> None:
    github.account = GitHubAccount.make(42, "hubot", "hubot@example.com", verified=False)
    await github_sign_in(client)
    assert (await client.get("/api/me")).json()["email"] is None


async def test_missing_state_is_refused(client: httpx.AsyncClient, github: FakeGitHub) -> None:
    response = await client.get("/auth/github/callback", params={"code": "abc"})
    assert _error_of(response) == "bad_state"
    assert (await client.get("/api/me")).status_code == 401


async def test_a_state_from_another_browser_is_refused(
    client: httpx.AsyncClient, github: FakeGitHub, app: object
) -> None:
    callback = await start_github_sign_in(client)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as other:
        response = await other.get(callback)  # no state cookie in this browser
        assert _error_of(response) == "bad_state"
        assert (await other.get("/api/me")).status_code == 401


async def test_a_tampered_state_is_refused(client: httpx.AsyncClient, github: FakeGitHub) -> None:
    callback = await start_github_sign_in(client)
    tampered = callback.replace("state=", "state=x")
    assert _error_of(await client.get(tampered)) == "bad_state"


async def test_a_state_works_once(client: httpx.AsyncClient, github: FakeGitHub) -> None:
    callback = await start_github_sign_in(client)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    assert (await client.get(callback)).headers["location"] == "http://127.0.0.1:8000/"
    # Replaying the same callback (same browser cookie restored) is refused.
    client.cookies.set("infrasync_oauth_state", state, domain="127.0.0.1", path="/auth/github")
    assert _error_of(await client.get(callback)) == "state_reused"


async def test_an_expired_state_is_refused(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    from datetime import timedelta

    from infrasync.kit.time import utcnow
    from infrasync.models import OAuthState

    callback = await start_github_sign_in(client)
    state_row = (await session.execute(select(OAuthState))).scalar_one()
    state_row.expires_at = utcnow() - timedelta(seconds=1)
    await session.commit()
    assert _error_of(await client.get(callback)) == "state_expired"


async def test_user_denying_access_is_explained(
    client: httpx.AsyncClient, github: FakeGitHub
) -> None:
    github.deny_access = True
    response = await github_sign_in(client)
    assert _error_of(response) == "access_denied"
    assert (await client.get("/api/me")).status_code == 401


async def test_a_rejected_code_is_explained(client: httpx.AsyncClient, github: FakeGitHub) -> None:
    callback = await start_github_sign_in(client)
    github.codes.clear()  # the code expired on GitHub's side
    assert _error_of(await client.get(callback)) == "code_rejected"


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_github_failing_is_explained_not_a_500(
    client: httpx.AsyncClient, github: FakeGitHub, status: int
) -> None:
    callback = await start_github_sign_in(client)
    github.fail_token_exchange_with = status
    assert _error_of(await client.get(callback)) == "github_unavailable"


async def test_github_unreachable_is_explained_not_a_500(
    client: httpx.AsyncClient, github: FakeGitHub, app: object
) -> None:
    from tests.live_server import free_port

    callback = await start_github_sign_in(client)
    unreachable = f"http://127.0.0.1:{free_port()}"
    app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"github_url": unreachable, "github_api_url": unreachable}
    )
    assert _error_of(await client.get(callback)) == "github_unavailable"


async def test_no_github_app_configured_is_explained(
    client: httpx.AsyncClient, app: object
) -> None:
    app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"github_client_id": None}
    )
    assert _error_of(await client.get("/auth/github/login")) == "github_not_configured"


async def test_the_github_token_is_never_stored_or_logged(
    client: httpx.AsyncClient,
    github: FakeGitHub,
    session: AsyncSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from infrasync.observability.logging import configure_logging

    configure_logging("json")
    await github_sign_in(client)
    [token] = github.tokens
    output = capsys.readouterr()
    assert token not in output.err + output.out
    assert github.client_secret not in output.err + output.out
    user = (await session.execute(select(User))).scalar_one()
    assert token not in repr(user.__dict__)
