"""An org request resolves who is calling and the org in as few statements as they can
be: the hot path of every API call (bench/api.py measures the rest)."""

from __future__ import annotations

from fastapi import FastAPI

from tests.conftest import Personas, SignIn, client_with
from tests.statements import statements_run


async def test_an_api_key_and_its_org_take_one_statement(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    admin = await sign_in(personas.admin)
    created = await admin.post("/api/orgs/acme/api-keys", json={"name": "CI", "role": "member"})
    async with client_with(
        app, headers={"Authorization": f"Bearer {created.json()['key']}"}
    ) as key:
        assert (await key.get("/api/orgs/acme")).status_code == 200  # notes the key's first use
        with statements_run(app) as statements:
            read = await key.get("/api/orgs/acme")
        assert read.status_code == 200
        assert read.json()["role"] == "member"
        assert len(statements) == 1, statements
        # The org that came with the key is the only one it reaches.
        assert (await key.get("/api/orgs/globex")).status_code == 404


async def test_a_session_and_its_org_membership_take_one_statement(
    sign_in: SignIn, personas: Personas, app: FastAPI
) -> None:
    member = await sign_in(personas.member)
    assert (await member.get("/api/orgs/acme")).status_code == 200
    with statements_run(app) as statements:
        read = await member.get("/api/orgs/acme")
    assert read.json()["role"] == "member"
    # The session, its user, the org and the membership, joined.
    assert len(statements) == 1, statements
    assert (await member.get("/api/orgs/globex")).status_code == 404
