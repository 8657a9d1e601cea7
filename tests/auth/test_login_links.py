from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.app import create_app
from infrasync.auth import service as auth_service
from infrasync.config import load_settings
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import AuditEvent, LoginLink, User
from tests.conftest import Personas, client_with
from tests.live_server import live_server, run_cli, server_output

LINK = re.compile(r"http://127\.0\.0\.1:\d+/auth/link/[A-Za-z0-9_-]+")


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.path == "/signin"
    return parse_qs(location.query)["error"][0]


async def _link_for(session: AsyncSession, user: User) -> str:
    token = await auth_service.create_login_link(session, user)
    await session.commit()
    return f"/auth/link/{token}"


async def test_a_link_signs_in_once(
    app: FastAPI, session: AsyncSession, personas: Personas
) -> None:
    link = await _link_for(session, personas.admin)
    async with client_with(app) as browser:
        response = await browser.get(link)
        assert response.status_code == 302
        assert response.headers["location"] == "http://127.0.0.1:8000/"
        assert (await browser.get("/api/me")).json()["login"] == personas.admin.login
    async with client_with(app) as second_browser:
        assert _refusal(await second_browser.get(link)) == "link_used"
        assert (await second_browser.get("/api/me")).status_code == 401
    method = await session.scalar(
        select(AuditEvent.details).where(AuditEvent.action == "auth.sign_in")
    )
    assert method == {"method": "link"}


@pytest.mark.parametrize(
    ("return_to", "lands_on"),
    [
        ("/orgs/acme/monitors", "http://127.0.0.1:8000/orgs/acme/monitors"),
        ("https://evil.example/phish", "http://127.0.0.1:8000/"),
        ("//evil.example/phish", "http://127.0.0.1:8000/"),
    ],
)
async def test_a_link_returns_only_to_a_page_of_the_web_app(
    app: FastAPI, session: AsyncSession, personas: Personas, return_to: str, lands_on: str
) -> None:
    link = await _link_for(session, personas.admin)
    async with client_with(app) as browser:
        response = await browser.get(link, params={"return_to": return_to})
        assert response.headers["location"] == lands_on


async def test_an_expired_or_unknown_link_is_refused(
    app: FastAPI, session: AsyncSession, personas: Personas
) -> None:
    link = await _link_for(session, personas.admin)
    row = (await session.execute(select(LoginLink))).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    await session.commit()
    async with client_with(app) as browser:
        assert _refusal(await browser.get(link)) == "link_expired"
        assert _refusal(await browser.get("/auth/link/not-a-real-token")) == "link_invalid"


async def test_links_are_stored_hashed_and_expire_in_15_minutes(
    session: AsyncSession, personas: Personas
) -> None:
    link = await _link_for(session, personas.admin)
    token = link.rsplit("/", 1)[1]
    row = (await session.execute(select(LoginLink))).scalar_one()
    assert row.token_hash == hash_token(token)
    lifetime = row.expires_at - row.created_at
    assert timedelta(minutes=14) < lifetime <= timedelta(minutes=15)


def test_admin_login_link_prints_a_working_link(tmp_path: Path) -> None:
    result = run_cli("admin", "login-link", "--email", "ada@example.com", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [link] = LINK.findall(result.stdout)

    import asyncio

    async def follow() -> dict[str, object]:
        database = tmp_path / ".infrasync" / "infrasync.db"
        app = create_app(load_settings(database_url=f"sqlite:///{database}"))
        try:
            async with client_with(app) as browser:
                response = await browser.get(urlsplit(link).path)
                assert response.status_code == 302, response.text
                me: dict[str, object] = (await browser.get("/api/me")).json()
                return me
        finally:
            await app.state.engine.dispose()

    me = asyncio.run(follow())
    assert me["email"] == "ada@example.com"
    # No server runs from here and no INFRASYNC_PUBLIC_URL is set: the link names the
    # default address, and a line says which setting to set.
    assert link.startswith("http://127.0.0.1:8000/")
    assert "INFRASYNC_PUBLIC_URL" in result.stderr


def test_admin_login_link_names_the_public_url_when_it_is_set(tmp_path: Path) -> None:
    result = run_cli(
        "admin",
        "login-link",
        cwd=tmp_path,
        INFRASYNC_PUBLIC_URL="https://infrasync.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://infrasync.example.com/auth/link/")
    assert "INFRASYNC_PUBLIC_URL" not in result.stderr


def test_admin_login_link_refuses_a_bad_email(tmp_path: Path) -> None:
    result = run_cli("admin", "login-link", "--email", "not-an-email", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "infrasync: 'not-an-email' is not an email address."


def test_serve_prints_a_first_admin_link_when_no_github_app_is_configured(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path, "--no-worker") as base_url:
        [link] = LINK.findall(server_output(tmp_path))
        assert link.startswith(base_url)
        with httpx.Client() as browser:
            response = browser.get(link)
            assert response.status_code == 302
            me = browser.get(f"{base_url}/api/me")
            assert me.status_code == 200
            assert me.json()["login"] == "admin"
            assert me.json()["is_admin"] is True
        # A link asked for beside the running server names where it listens (a free
        # port, not the default 8000), and opens.
        made = run_cli("admin", "login-link", "--email", "ada@example.com", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        [second] = LINK.findall(made.stdout)
        assert second.startswith(f"{base_url}/auth/link/")
        assert "INFRASYNC_PUBLIC_URL" not in made.stderr
        with httpx.Client() as browser:
            assert browser.get(second).status_code == 302
    # Stopped, the server is not named again: the next link says what to set.
    after = run_cli("admin", "login-link", "--email", "ada@example.com", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("http://127.0.0.1:8000/auth/link/")
    assert "INFRASYNC_PUBLIC_URL" in after.stderr


def test_serve_prints_no_link_when_github_sign_in_is_configured(tmp_path: Path) -> None:
    with live_server(
        tmp_path,
        "--no-worker",
        INFRASYNC_GITHUB_CLIENT_ID="Iv1.x",
        INFRASYNC_GITHUB_CLIENT_SECRET="secret",
    ):
        assert "/auth/link/" not in server_output(tmp_path)
