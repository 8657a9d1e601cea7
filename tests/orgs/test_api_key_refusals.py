"""A refused API key gets one answer whatever the reason (SPEC §5: its holder learns
nothing about the org), and the answer an HTTP client knows what to do with: a 401 that
says so and names the Bearer scheme."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import Personas, SignIn, client_with

REFUSAL = {"detail": "The API key is not valid or has been revoked."}


async def _refusal(app: FastAPI, key: str) -> httpx.Response:
    async with client_with(app, headers={"Authorization": f"Bearer {key}"}) as robot:
        return await robot.get("/api/orgs/acme")


async def test_every_refused_key_gets_the_same_401_naming_the_bearer_scheme(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin, owner = await sign_in(personas.admin), await sign_in(personas.owner)
    revoked = (await admin.post("/api/orgs/acme/api-keys", json={"name": "old"})).json()
    assert (await admin.delete(f"/api/orgs/acme/api-keys/{revoked['id']}")).status_code == 204
    orphaned = (await admin.post("/api/orgs/acme/api-keys", json={"name": "ci"})).json()
    removed = await owner.delete(f"/api/orgs/acme/members/{personas.admin.id}")
    assert removed.status_code == 204
    for key in (revoked["key"], orphaned["key"], "isk_" + "x" * 40, "not-a-key-at-all"):
        refused = await _refusal(app, key)
        assert refused.status_code == 401, key
        assert refused.json() == REFUSAL
        assert refused.headers["www-authenticate"] == "Bearer"
