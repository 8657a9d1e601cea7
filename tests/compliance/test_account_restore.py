"""A deleted account comes back only by signing in again with GitHub within
INFRASYNC_RETENTION_DAYS and saying yes: the sign-in lands on the web app's
/account/restore page, whose session can read GET /api/me (with `deleted_at` and
`restorable_until`) and POST /api/me/restore, and nothing else. The clock is moved by
moving `deleted_at` back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.cookies import CSRF_COOKIE
from infrasync.kit.time import utcnow
from infrasync.models import Monitor, Org, Role, User
from tests.auth.conftest import github_sign_in
from tests.conftest import Personas, SignIn
from tests.factories import add_member
from tests.fakes.github_oauth import FakeGitHub
from tests.fakes.http_server import serve_in_thread

RETENTION = timedelta(days=30)


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


def _csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies[CSRF_COOKIE]}


async def _signed_up_and_deleted(
    client: httpx.AsyncClient, before_deleting: Callable[[], Awaitable[None]] | None = None
) -> None:
    """octocat signs in, makes an org of their own with a daily monitor, and deletes
    their account."""
    assert (await github_sign_in(client)).status_code == 302
    made = await client.post("/api/orgs", json={"name": "Solo"}, headers=_csrf(client))
    assert made.status_code == 201, made.text
    daily = {"source": "acme/app", "schedule": {"kind": "daily", "at": "09:00"}}
    monitor = await client.post("/api/orgs/solo/monitors", json=daily, headers=_csrf(client))
    assert monitor.status_code == 201, monitor.text
    if before_deleting is not None:
        await before_deleting()
    assert (await client.delete("/api/me", headers=_csrf(client))).status_code == 204
    client.cookies.clear()  # as the browser does with the cleared cookies


async def test_signing_in_again_asks_before_restoring_and_restores_on_yes(
    client: httpx.AsyncClient,
    github: FakeGitHub,
    session: AsyncSession,
    personas: Personas,
    sign_in: SignIn,
) -> None:
    async def join_acme() -> None:
        octocat = await session.scalar(select(User).where(User.login == "octocat"))
        assert octocat is not None
        await add_member(session, personas.org, octocat, Role.MEMBER)
        await session.commit()

    await _signed_up_and_deleted(client, join_acme)
    # Deleted for weeks: the Solo org's daily schedule fell due long ago meanwhile.
    monitor = await session.scalar(select(Monitor).where(Monitor.name.is_not(None)))
    assert monitor is not None
    monitor.next_run_at = utcnow() - timedelta(days=20)
    await session.commit()

    back = await github_sign_in(client)

    assert back.status_code == 302
    assert back.headers["location"] == "http://127.0.0.1:8000/account/restore"
    me = await client.get("/api/me")
    assert me.status_code == 200
    user = await session.scalar(select(User).where(User.login == "octocat"))
    assert user is not None
    assert user.deleted_at is not None
    assert me.json()["deleted_at"] is not None
    until = me.json()["restorable_until"].replace("Z", "+00:00")
    assert until == (user.deleted_at + RETENTION).isoformat()
    # Not restored by signing in: the session can do nothing else until asked.
    for method, path in [
        ("GET", "/api/orgs"),
        ("GET", "/api/orgs/solo"),
        ("GET", "/api/me/export"),
        ("DELETE", "/api/me"),
        ("POST", "/api/orgs"),
    ]:
        refused = await client.request(method, path, headers=_csrf(client), json={"name": "x"})
        assert refused.status_code == 403, (method, path, refused.text)
        assert "restore" in refused.json()["detail"]
    assert (await client.post("/api/me/restore")).status_code == 403  # no CSRF header

    restored = await client.post("/api/me/restore", headers=_csrf(client))

    assert restored.status_code == 200, restored.text
    assert (restored.json()["deleted_at"], restored.json()["restorable_until"]) == (None, None)
    # The org deleted with the account is back, and the session is an ordinary one.
    assert [o["slug"] for o in (await client.get("/api/orgs")).json()] == ["acme", "solo"]
    assert (await client.get("/api/orgs/solo/monitors")).status_code == 200
    logged = (await client.get("/api/orgs/solo/audit")).json()["items"]
    assert [(e["action"], e["details"].get("reason")) for e in logged[:2]] == [
        ("org.restore", "account_restored"),
        ("org.delete", "account_deleted"),
    ]
    again = await client.post("/api/me/restore", headers=_csrf(client))
    assert again.status_code == 409
    # Its schedule goes on from its next fire, not with weeks of catch-up.
    await session.refresh(monitor)
    assert monitor.next_run_at is not None
    assert monitor.next_run_at > utcnow()
    # Acme, which they shared, says they went and came back; they are a member again.
    owner = await sign_in(personas.owner)
    actions = [e["action"] for e in (await owner.get("/api/orgs/acme/audit")).json()["items"]]
    assert actions[:2] == ["member.account_restored", "member.account_deleted"]
    members = [m["login"] for m in (await owner.get("/api/orgs/acme/members")).json()]
    assert "octocat" in members


async def test_after_the_window_signing_in_is_refused(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    await _signed_up_and_deleted(client)
    user = await session.scalar(select(User).where(User.login == "octocat"))
    assert user is not None
    assert user.deleted_at is not None
    user.deleted_at = utcnow() - RETENTION - timedelta(seconds=1)
    await session.commit()

    refused = await github_sign_in(client)

    location = urlsplit(refused.headers["location"])
    assert location.path == "/signin"
    assert parse_qs(location.query)["error"] == ["account_deleted"]
    assert (await client.get("/api/me")).status_code == 401


async def test_a_restore_page_left_open_past_the_window_cannot_restore(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    await _signed_up_and_deleted(client)
    assert (await github_sign_in(client)).headers["location"].endswith("/account/restore")
    user = await session.scalar(select(User).where(User.login == "octocat"))
    org = await session.scalar(select(Org).where(Org.slug == "solo"))
    assert user is not None
    assert org is not None
    assert user.deleted_at is not None
    # Both moved back together, as they were deleted together.
    user.deleted_at = org.deleted_at = utcnow() - RETENTION - timedelta(seconds=1)
    await session.commit()

    late = await client.post("/api/me/restore", headers=_csrf(client))

    assert late.status_code == 409
    assert "can no longer be restored" in late.json()["detail"]
    await session.refresh(user)
    assert user.deleted_at is not None


async def test_a_session_from_before_the_deletion_never_becomes_a_restoring_one(
    client: httpx.AsyncClient, github: FakeGitHub, session: AsyncSession
) -> None:
    """Deleting ends every session; even one that somehow stayed unrevoked (a row
    deleted by hand, a race) cannot restore: only a sign-in after the deletion can."""
    assert (await github_sign_in(client)).status_code == 302
    user = await session.scalar(select(User).where(User.login == "octocat"))
    assert user is not None
    user.deleted_at = utcnow()
    await session.commit()

    assert (await client.get("/api/me")).status_code == 401
    assert (await client.post("/api/me/restore", headers=_csrf(client))).status_code == 401
