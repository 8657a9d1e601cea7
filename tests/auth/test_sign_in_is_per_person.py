"""Signing out ends that browser's session only; a sign-in link signs in the person it was
made for, and a GitHub sign-in its own browser, each using up no one else's."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth import service as auth_service
from tests.auth.conftest import start_github_sign_in
from tests.conftest import Personas, SignIn, client_with
from tests.fakes.github_oauth import FakeGitHub


async def _me(client: httpx.AsyncClient) -> str | None:
    response = await client.get("/api/me")
    return str(response.json()["login"]) if response.status_code == 200 else None


async def test_signing_out_ends_only_that_session(sign_in: SignIn, personas: Personas) -> None:
    laptop, phone = await sign_in(personas.admin), await sign_in(personas.admin)
    colleague = await sign_in(personas.member)
    assert (await laptop.post("/auth/logout")).status_code == 204
    assert await _me(laptop) is None
    assert await _me(phone) == personas.admin.login
    assert await _me(colleague) == personas.member.login


async def test_a_sign_in_link_is_its_own_persons_and_uses_up_no_other(
    app: FastAPI, session: AsyncSession, personas: Personas
) -> None:
    admins = await auth_service.create_login_link(session, personas.admin)
    members = await auth_service.create_login_link(session, personas.member)
    await session.commit()
    for token, person in ((members, personas.member), (admins, personas.admin)):
        async with client_with(app) as browser:
            assert (await browser.get(f"/auth/link/{token}")).status_code == 302
            assert await _me(browser) == person.login


async def test_two_browsers_signing_in_with_github_at_once_both_get_in(
    app: FastAPI, github: FakeGitHub
) -> None:
    async with client_with(app) as first, client_with(app) as second:
        callbacks = [await start_github_sign_in(first), await start_github_sign_in(second)]
        for browser, callback in zip((first, second), callbacks, strict=True):
            landed = await browser.get(callback)
            assert landed.headers["location"] == "http://127.0.0.1:8000/", landed.headers
            assert await _me(browser) == "octocat"
