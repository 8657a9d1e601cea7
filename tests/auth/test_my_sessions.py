"""The account page's sessions (issue 15, point 10): list mine, sign one out, sign out
everywhere else. Never a token; another person's session is a 404; access ends at once."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth import service as auth_service
from infrasync.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from infrasync.auth.devices import describe_device
from infrasync.kit.client_info import ClientInfo
from infrasync.models import AuditEvent, User
from tests.conftest import Personas, SignIn, client_with

FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


async def _browser(app: FastAPI, user: User, user_agent: str) -> httpx.AsyncClient:
    """A browser signed in as `user` whose sign-in came from `user_agent`."""
    async with app.state.session_factory() as db_session:
        issued = await auth_service.start_session(
            db_session,
            user,
            app.state.settings.effective_secret_key,
            ClientInfo(ip="203.0.113.7", user_agent=user_agent),
        )
        await db_session.commit()
    return client_with(
        app,
        cookies={SESSION_COOKIE: issued.cookie_value, CSRF_COOKIE: issued.csrf_token},
        headers={"X-CSRF-Token": issued.csrf_token},
    )


async def test_i_see_my_sessions_with_this_one_marked_and_no_token(
    app: FastAPI, sign_in: SignIn, personas: Personas
) -> None:
    here = await sign_in(personas.member)
    async with await _browser(app, personas.member, FIREFOX_ON_LINUX):
        await sign_in(personas.admin)  # someone else's session is not listed
        response = await here.get("/api/me/sessions")
    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])
    assert other["device"] == "Firefox on Linux"
    assert other["ip"] == "203.0.113.7"
    assert set(other) == {
        "id", "current", "device", "user_agent", "ip", "created_at", "last_seen_at", "expires_at"
    }  # fmt: skip
    cookie = here.cookies[SESSION_COOKIE]
    assert cookie.split(".")[0] not in response.text


async def test_signing_one_out_ends_its_access_at_once_and_is_audited(
    app: FastAPI, sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    here = await sign_in(personas.member)
    async with await _browser(app, personas.member, FIREFOX_ON_LINUX) as laptop:
        assert (await laptop.get("/api/me")).status_code == 200
        other = next(s for s in (await here.get("/api/me/sessions")).json() if not s["current"])
        revoked = await here.delete(f"/api/me/sessions/{other['id']}")
        assert revoked.status_code == 204
        assert (await laptop.get("/api/me")).status_code == 401
        assert (await laptop.get("/api/orgs/acme/monitors")).status_code == 401
    assert (await here.get("/api/me")).status_code == 200
    assert [s["current"] for s in (await here.get("/api/me/sessions")).json()] == [True]
    again = await here.delete(f"/api/me/sessions/{other['id']}")
    assert again.status_code == 404
    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.session_revoked"))
    ).all()
    assert [(e.actor_user_id, e.target_id) for e in events] == [(personas.member.id, other["id"])]
    mine = (await here.get("/api/me/audit")).json()["items"]
    assert "auth.session_revoked" in [item["action"] for item in mine]


async def test_another_persons_session_is_a_404_and_stays_alive(
    sign_in: SignIn, personas: Personas
) -> None:
    mallory = await sign_in(personas.outsider)
    victim = await sign_in(personas.member)
    victim_id = (await victim.get("/api/me/sessions")).json()[0]["id"]
    refused = await mallory.delete(f"/api/me/sessions/{victim_id}")
    assert refused.status_code == 404
    assert (await victim.get("/api/me")).status_code == 200
    bad = await mallory.delete("/api/me/sessions/not-an-id")
    assert bad.status_code == 422


async def test_this_session_is_ended_by_signing_out_not_here(
    sign_in: SignIn, personas: Personas
) -> None:
    here = await sign_in(personas.member)
    current = (await here.get("/api/me/sessions")).json()[0]
    response = await here.delete(f"/api/me/sessions/{current['id']}")
    assert response.status_code == 409
    assert "sign out" in response.json()["detail"]
    assert (await here.get("/api/me")).status_code == 200


async def test_signing_out_everywhere_else_keeps_only_this_one(
    app: FastAPI, sign_in: SignIn, personas: Personas
) -> None:
    here = await sign_in(personas.member)
    phone = await _browser(app, personas.member, "Mozilla/5.0 (iPhone) Safari/604.1")
    laptop = await _browser(app, personas.member, FIREFOX_ON_LINUX)
    colleague = await sign_in(personas.admin)
    async with phone, laptop:
        answer = await here.post("/api/me/sessions/sign-out-others")
        assert answer.status_code == 200
        assert answer.json() == {"revoked": 2}
        assert (await phone.get("/api/me")).status_code == 401
        assert (await laptop.get("/api/me")).status_code == 401
    assert (await here.get("/api/me")).status_code == 200
    assert (await colleague.get("/api/me")).status_code == 200
    assert [s["current"] for s in (await here.get("/api/me/sessions")).json()] == [True]


async def test_sessions_need_a_signed_in_browser_and_the_csrf_header(
    app: FastAPI, client: httpx.AsyncClient, sign_in: SignIn, personas: Personas
) -> None:
    assert (await client.get("/api/me/sessions")).status_code == 401
    keyed = await client.get("/api/me/sessions", headers={"Authorization": "Bearer isk_nope"})
    assert keyed.status_code == 401
    here = await sign_in(personas.member)
    forged = client_with(app, cookies=dict(here.cookies))
    async with forged:
        assert (await forged.post("/api/me/sessions/sign-out-others")).status_code == 403


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_ON_LINUX, "Firefox on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (None, "Unknown browser"),
    ],
)
def test_a_session_names_its_browser(user_agent: str | None, device: str) -> None:
    assert describe_device(user_agent) == device
