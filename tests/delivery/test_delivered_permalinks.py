"""Every delivered digest leads back to its permalink page in the web app (where its
grounding report is shown): chat and email end with an "Open in Infrasync" link, and a
webhook's body names it as `url`, its text left as the digest's own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from infrasync.models import DigestRecord
from tests.conftest import Personas, SignIn
from tests.delivery.conftest import RunWorker, make_channel, make_monitor
from tests.delivery.test_worker_delivery import DAILY
from tests.delivery.test_worker_delivery import _make_due as make_due
from tests.fakes.chat_receivers import DiscordReceiver, SlackReceiver, WebhookReceiver


async def test_each_delivered_digest_links_to_its_page(
    sign_in: SignIn,
    personas: Personas,
    repo: Path,
    session: AsyncSession,
    run_worker: RunWorker,
    slack: SlackReceiver,
    discord: DiscordReceiver,
    webhooks: WebhookReceiver,
) -> None:
    admin = await sign_in(personas.admin)
    team = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    ops = await make_channel(admin, kind="discord", name="Ops", url=discord.webhook_url())
    url = webhooks.endpoint("whsec_" + "C" * 32)
    hook = await make_channel(admin, kind="webhook", name="Ours", url=url)
    secret = str(hook["signing_secret"])
    webhooks.set_secret(url, secret)
    channels = [team["id"], ops["id"], hook["id"]]
    monitor = await make_monitor(admin, repo, schedule=DAILY, channel_ids=channels)
    await make_due(session, monitor["id"])

    await run_worker()

    digest = (await session.scalars(select(DigestRecord))).one()
    page = f"http://127.0.0.1:8000/orgs/acme/digests/{digest.id}"
    assert "Open in Infrasync" not in digest.text  # the stored digest stays as written
    [posted] = slack.accepted()
    assert f"<{page}|Open in Infrasync>" in posted.body.decode()
    assert any(f"[Open in Infrasync]({page})" in r.body.decode() for r in discord.accepted())
    [received] = webhooks.accepted()
    body = Webhook(secret).verify(received.body, received.headers)
    assert body["url"] == page
    assert body["digest_id"] == str(digest.id)
    assert body["text"] == digest.text
