"""No network call runs while a database transaction is open (ARCHITECTURE "A request's
way"): a digest run marks the monitor in one short transaction, calls GitHub with none
open, and stores the digest in another. So a slow GitHub never holds a lock that other
writers wait for (SQLite's one write lock; a Postgres row lock on the monitor)."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from tests.conftest import Personas, SignIn
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import FakeWorld, generate_repo
from tests.fakes.http_server import serve_in_thread

KEY = Fernet.generate_key().decode()
TOKEN = "ghp_" + secrets.token_hex(18)
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
# Generous: only a broken build waits this long; a working one answers at once.
PATIENCE_SECONDS = 60


@dataclass
class HeldGitHub:
    """The fake GitHub, holding every GraphQL request until the test lets it go."""

    fake: FakeGitHubAPI
    base_url: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle(self, request: Request) -> Response:
        if request.url.path.endswith("graphql"):
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, PATIENCE_SECONDS)
        return await self.fake.handle(request)


@pytest.fixture
def held_github() -> Iterator[HeldGitHub]:
    world = FakeWorld()
    generate_repo(world, "acme", "app", SINCE, UNTIL, per_kind=5)
    fake = FakeGitHubAPI(world=world)
    fake.add_token(TOKEN)
    held = HeldGitHub(fake)
    app = Starlette(routes=[Route("/{path:path}", held.handle, methods=["GET", "POST"])])
    with serve_in_thread(app) as base_url:
        fake.base_url = held.base_url = base_url
        try:
            yield held
        finally:
            held.release.set()


@pytest.fixture
def settings_overrides(held_github: HeldGitHub) -> dict[str, object]:
    return {"github_api_url": held_github.base_url, "encryption_keys": KEY}


async def test_a_slow_github_holds_no_lock_that_other_writes_wait_for(
    sign_in: SignIn, personas: Personas, session: AsyncSession, held_github: HeldGitHub
) -> None:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKEN,
        scopes="read:user",
        user_id=personas.member.id,
        github_login=personas.member.login,
    )
    await session.commit()
    member = await sign_in(personas.member)
    admin = await sign_in(personas.admin)
    held_github.release.set()  # the check when a monitor is made is a REST call
    created = await member.post("/api/orgs/acme/monitors", json={"source": "acme/app"})
    assert created.status_code == 201, created.text
    monitor = created.json()
    held_github.release.clear()

    run = asyncio.create_task(
        member.post(
            f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
            json={"since": "2026-11-16", "until": "2026-11-23"},
        )
    )
    assert await asyncio.to_thread(held_github.arrived.wait, PATIENCE_SECONDS)
    # GitHub is holding the run's request. Writes to the org and to the very monitor
    # being run go through now, not after GitHub answers.
    renamed = await asyncio.wait_for(
        admin.patch("/api/orgs/acme", json={"name": "Acme While Waiting"}), PATIENCE_SECONDS
    )
    assert renamed.status_code == 200, renamed.text
    edited = await asyncio.wait_for(
        admin.patch(f"/api/orgs/acme/monitors/{monitor['id']}", json={"stale_days": 5}),
        PATIENCE_SECONDS,
    )
    assert edited.status_code == 200, edited.text
    assert not run.done()

    held_github.release.set()
    made = await asyncio.wait_for(run, PATIENCE_SECONDS)
    assert made.status_code == 201, made.text
    shown = (await admin.get(f"/api/orgs/acme/monitors/{monitor['id']}")).json()
    # Both the edit made during the run and the run's own outcome are kept.
    assert shown["stale_days"] == 5
    assert shown["last_run_status"] == "ok"
    assert shown["last_run_at"] is not None
