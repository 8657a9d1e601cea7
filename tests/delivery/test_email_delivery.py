"""Email channels end to end, over a real SMTP server (aiosmtpd, STARTTLS and AUTH): every
recipient gets the digest, one-click unsubscribe works without signing in and is shown
to admins, and a recipient the server refuses for good gets nothing more."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import Personas, SignIn
from tests.delivery.conftest import ENCRYPTION_KEY, RunWorker, make_channel, make_monitor
from tests.fakes.smtp_server import FakeSmtpServer
from tests.fakes.smtp_server import smtp_server as smtp_server  # the fixture

ADA, BOB = "ada@example.com", "bob@example.com"


@pytest.fixture
def settings_overrides(tmp_path: Path, smtp_server: FakeSmtpServer) -> dict[str, object]:
    return {
        "local_source_roots": (tmp_path,),
        "encryption_keys": ENCRYPTION_KEY,
        "smtp_url": smtp_server.url(),
        "smtp_ca_file": smtp_server.ca_file,
        "email_from": "digests@infrasync.test",
    }


async def _run_now(http: httpx.AsyncClient, monitor: dict[str, object], since: str) -> None:
    made = await http.post(
        f"/api/orgs/acme/monitors/{monitor['id']}/digests?wait=true",
        json={"since": since, "until": "2026-11-10"},
    )
    assert made.status_code == 201, made.text


async def test_each_recipient_gets_it_and_one_click_unsubscribe_stops_it(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    run_worker: RunWorker,
    smtp_server: FakeSmtpServer,
    client: httpx.AsyncClient,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="email", name="Team", addresses=[ADA, BOB])
    monitor = await make_monitor(admin, repo, channel_ids=[team["id"]])
    await _run_now(admin, monitor, "2026-11-01")
    await run_worker()

    (to_ada,) = smtp_server.received_by(ADA)
    assert len(smtp_server.received_by(BOB)) == 1
    assert to_ada.tls
    assert to_ada.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = to_ada.message["List-Unsubscribe"].strip("<>").split(">,")[0]
    path = httpx.URL(link).path

    # The mail client's one-click POST: no session, no CSRF token.
    page = await client.get(path)
    assert page.status_code == 200
    assert "Unsubscribe" in page.text
    assert len(smtp_server.received_by(ADA)) == 1  # opening the link changes nothing
    done = await client.post(path, content=b"List-Unsubscribe=One-Click")
    assert done.status_code == 200, done.text
    shown = (await admin.get(f"/api/orgs/acme/channels/{team['id']}")).json()
    assert {a["address"]: a["status"] for a in shown["addresses"]} == {
        ADA: "unsubscribed",
        BOB: "active",
    }

    await _run_now(admin, monitor, "2026-11-02")
    await run_worker()
    assert len(smtp_server.received_by(ADA)) == 1
    assert len(smtp_server.received_by(BOB)) == 2


async def test_a_forged_unsubscribe_link_changes_nothing(
    sign_in: SignIn, personas: Personas, client: httpx.AsyncClient
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="email", name="Team", addresses=[ADA])
    refused = await client.post("/api/email/unsubscribe/not-a-token")
    assert refused.status_code == 404
    shown = (await admin.get(f"/api/orgs/acme/channels/{team['id']}")).json()
    assert shown["addresses"] == [{"address": ADA, "status": "active"}]


async def test_a_refused_recipient_gets_nothing_more_and_the_others_still_do(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    run_worker: RunWorker,
    smtp_server: FakeSmtpServer,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="email", name="Team", addresses=[ADA, BOB])
    monitor = await make_monitor(admin, repo, channel_ids=[team["id"]])
    smtp_server.script.refuse.add(ADA)
    await _run_now(admin, monitor, "2026-11-01")
    await run_worker()

    assert smtp_server.received_by(ADA) == []
    assert len(smtp_server.received_by(BOB)) == 1
    shown = (await admin.get(f"/api/orgs/acme/channels/{team['id']}")).json()
    assert shown["disabled"] is False
    assert {a["address"]: a["status"] for a in shown["addresses"]}[ADA] == "refused"
    assert shown["last_delivery"]["state"] == "delivered"
