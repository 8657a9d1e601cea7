"""`make run`'s demo delivers offline: its monitor has a schedule and a channel that
writes each digest into `./.infrasync/inbox`, and its first digest arrives there at once."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.monitors.demo import ensure_demo
from tests.conftest import SignIn
from tests.delivery.conftest import RunWorker
from tests.factories import make_user


async def test_the_demo_delivers_its_first_digest_into_the_inbox(
    app: FastAPI, session: AsyncSession, repo: Path, run_worker: RunWorker, sign_in: SignIn
) -> None:
    admin = await make_user(session, "first-admin")
    made = await ensure_demo(session, app.state.settings, admin, repo)
    await session.commit()
    assert made is not None
    assert "inbox" in made

    await run_worker()

    inbox = app.state.settings.data_dir / "inbox"
    (delivered,) = inbox.iterdir()
    assert delivered.read_text(encoding="utf-8").startswith("#")
    owner = await sign_in(admin)
    (monitor,) = (await owner.get("/api/orgs/demo/monitors")).json()
    assert monitor["schedule"]["kind"] == "cron"
    assert monitor["next_run_at"] is not None
    (channel,) = monitor["channels"]
    assert channel["kind"] == "file"
    assert channel["last_delivery"]["state"] == "delivered"
    # Nobody can make such a channel through the API: it would let a tenant write files.
    refused = await owner.post(
        "/api/orgs/demo/channels", json={"kind": "file", "name": "x", "url": "/etc"}
    )
    assert refused.status_code == 422
