"""Listing monitors costs the same few queries however many monitors (and tokens) there
are: whose token each reads with comes from one query, not one per monitor."""

from __future__ import annotations

from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from infrasync.models import Monitor, User
from tests.conftest import Personas, SignIn
from tests.statements import statements_run

KEY = Fernet.generate_key().decode()


async def _monitors_reading_with_tokens(
    session: AsyncSession, personas: Personas, people: list[User], each: int
) -> None:
    box = SecretBox.from_keys([KEY])
    for number, person in enumerate(people):
        stored = await store_github_token(
            session, box, token=f"ghp_{number:036d}", scopes="read:user", user_id=person.id
        )
        for copy in range(each):
            session.add(
                Monitor(
                    org_id=personas.org.id,
                    name=f"{person.login}-{copy}",
                    source=f"acme/app{copy}",
                    source_kind="github",
                    credential_id=stored.credential.id,
                )
            )
    await session.commit()


async def test_listing_monitors_takes_the_same_queries_for_one_or_many(
    sign_in: SignIn, personas: Personas, session: AsyncSession, app: FastAPI
) -> None:
    viewer = await sign_in(personas.viewer)
    await _monitors_reading_with_tokens(session, personas, [personas.member], each=1)
    with statements_run(app) as few:
        one = await viewer.get("/api/orgs/acme/monitors")
    assert len(one.json()) == 1
    people = [personas.owner, personas.admin, personas.viewer]
    await _monitors_reading_with_tokens(session, personas, people, each=4)
    with statements_run(app) as many:
        thirteen = await viewer.get("/api/orgs/acme/monitors")
    assert len(thirteen.json()) == 13
    assert {m["credential"]["login"] for m in thirteen.json()} == {
        p.login for p in [personas.member, *people]
    }
    assert len(many) == len(few), many
