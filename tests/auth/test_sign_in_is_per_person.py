"""Signing out ends that browser's session only, and a sign-in link signs in the person it
was made for and uses up no one else's."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth import service as auth_service
from tests.conftest import Personas, SignIn, client_with


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
