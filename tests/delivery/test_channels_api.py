"""Channels through the API: admins make and change them, secrets stay sealed and are
shown once, bad URLs are a 422 that says what to fix, and "send test" tells the truth."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from infrasync.models import AuditEvent, Channel
from tests.conftest import Personas, SignIn
from tests.delivery.conftest import make_channel
from tests.fakes.chat_receivers import Gone, SlackReceiver, Status, WebhookReceiver


async def test_admins_make_channels_and_the_url_is_never_shown(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    url = slack.webhook_url()
    made = await make_channel(admin, kind="slack", name="Team", url=url)
    assert str(made["hint"]).endswith(url[-4:])
    assert url not in str(made)
    assert made["signing_secret"] is None
    listed = (await (await sign_in(personas.member)).get("/api/orgs/acme/channels")).json()
    assert [c["name"] for c in listed] == ["Team"]
    assert url not in str(listed)
    assert listed[0]["hint"] == ""  # hints and recipients are for admins
    viewer = await sign_in(personas.viewer)
    assert (await viewer.get("/api/orgs/acme/channels")).status_code == 403
    row = await session.scalar(select(Channel).where(Channel.name == "Team"))
    assert row is not None
    assert row.url_sealed is not None
    assert url not in row.url_sealed  # sealed at rest
    actions = await session.scalars(select(AuditEvent.action))
    assert "channel.create" in set(actions)


@pytest.mark.parametrize("persona", ["member", "viewer"])
async def test_only_admins_and_up_change_channels(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver, persona: str
) -> None:
    caller = await sign_in(getattr(personas, persona))
    response = await caller.post(
        "/api/orgs/acme/channels", json={"kind": "slack", "name": "x", "url": slack.webhook_url()}
    )
    assert response.status_code == 403


async def test_an_outsider_sees_no_channel(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver
) -> None:
    made = await make_channel(
        await sign_in(personas.owner), kind="slack", name="Team", url=slack.webhook_url()
    )
    outsider = await sign_in(personas.outsider)
    assert (await outsider.get(f"/api/orgs/acme/channels/{made['id']}")).status_code == 404
    assert (await outsider.get(f"/api/orgs/globex/channels/{made['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"kind": "slack", "name": "x", "url": "https://example.com/hook"}, "Slack"),
        (
            {"kind": "discord", "name": "x", "url": "https://discord.com/api/hooks/1/abc"},
            "Discord",
        ),
        ({"kind": "slack", "name": "x"}, "needs its webhook URL"),
        ({"kind": "email", "name": "x", "addresses": []}, "at least one address"),
        ({"kind": "email", "name": "x", "addresses": ["not-an-address"]}, "addresses"),
        ({"kind": "email", "name": "x", "url": "https://example.com"}, "not a URL"),
        ({"kind": "webhook", "name": "x", "url": "ftp://example.com/in"}, "url"),
    ],
)
async def test_a_channel_that_cannot_work_is_a_422_saying_what_to_fix(
    sign_in: SignIn, personas: Personas, body: dict[str, object], complaint: str
) -> None:
    admin = await sign_in(personas.admin)
    response = await admin.post("/api/orgs/acme/channels", json=body)
    assert response.status_code == 422, response.text
    assert complaint in response.json()["detail"]
    assert (await admin.get("/api/orgs/acme/channels")).json() == []


async def test_a_webhook_secret_is_shown_once_and_signs_the_test_message(
    sign_in: SignIn, personas: Personas, webhooks: WebhookReceiver
) -> None:
    admin = await sign_in(personas.admin)
    url = webhooks.endpoint("whsec_" + "A" * 32)
    made = await make_channel(admin, kind="webhook", name="Ours", url=url)
    secret = made["signing_secret"]
    assert isinstance(secret, str)
    assert secret.startswith("whsec_")
    assert secret not in (await admin.get(f"/api/orgs/acme/channels/{made['id']}")).text
    webhooks.set_secret(url, secret)
    tested = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")).json()
    assert tested["outcome"] == "delivered", tested
    (received,) = webhooks.accepted()
    Webhook(secret).verify(received.body, received.headers)

    rotated = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/rotate-secret")).json()
    assert rotated["signing_secret"] != secret
    webhooks.set_secret(url, rotated["signing_secret"])
    again = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")).json()
    assert again["outcome"] == "delivered"
    Webhook(rotated["signing_secret"]).verify(
        webhooks.accepted()[-1].body, webhooks.accepted()[-1].headers
    )


async def test_send_test_reaches_slack_and_is_in_the_delivery_log(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver
) -> None:
    admin = await sign_in(personas.admin)
    made = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    tested = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")).json()
    assert tested["outcome"] == "delivered", tested
    (received,) = slack.accepted()
    assert "Test message from Infrasync" in received.body.decode()
    log = (await admin.get(f"/api/orgs/acme/channels/{made['id']}/deliveries")).json()
    assert [a["outcome"] for a in log["items"]] == ["test"]
    assert log["items"][0]["status"] == 200


async def test_a_removed_slack_webhook_disables_the_channel_with_the_reason(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver
) -> None:
    admin = await sign_in(personas.admin)
    made = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    slack.script(Gone())
    tested = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")).json()
    assert tested["outcome"] == "failed"
    shown = (await admin.get(f"/api/orgs/acme/channels/{made['id']}")).json()
    assert shown["disabled"] is True
    assert shown["disabled_reason"], shown
    # An admin fixes it: a new URL re-enables the channel.
    fixed = await admin.patch(
        f"/api/orgs/acme/channels/{made['id']}", json={"url": slack.webhook_url()}
    )
    assert fixed.json()["disabled"] is False


def _disabled_gauge(text: str) -> dict[str, float]:
    return {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "infrasync_channels_disabled"
    }


async def test_a_disabled_channel_shows_in_metrics_for_the_alert(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver
) -> None:
    """deploy/prometheus/alerts.yml's ChannelsBeingDisabled reads this gauge: every kind
    is there at 0 before the first is disabled, so a rise from nothing is seen."""
    admin = await sign_in(personas.admin)
    made = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    before = _disabled_gauge((await admin.get("/metrics")).text)
    assert before == {"slack": 0, "discord": 0, "email": 0, "webhook": 0, "file": 0}

    slack.script(Gone())
    await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")
    after = _disabled_gauge((await admin.get("/metrics")).text)
    assert after["slack"] == 1
    assert after["webhook"] == 0


async def test_a_payload_slack_refuses_does_not_disable_the_channel(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver
) -> None:
    admin = await sign_in(personas.admin)
    made = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    slack.script(Status(400, "invalid_blocks"))
    tested = (await admin.post(f"/api/orgs/acme/channels/{made['id']}/test")).json()
    assert tested["outcome"] == "failed"
    assert tested["channel"]["disabled"] is False


async def test_channels_are_renamed_and_deleted_with_audit_rows(
    sign_in: SignIn, personas: Personas, slack: SlackReceiver, session: AsyncSession
) -> None:
    admin = await sign_in(personas.admin)
    made = await make_channel(admin, kind="slack", name="Team", url=slack.webhook_url())
    renamed = await admin.patch(f"/api/orgs/acme/channels/{made['id']}", json={"name": "Eng"})
    assert renamed.json()["name"] == "Eng"
    assert (await admin.delete(f"/api/orgs/acme/channels/{made['id']}")).status_code == 204
    assert (await admin.get(f"/api/orgs/acme/channels/{made['id']}")).status_code == 404
    actions = set(await session.scalars(select(AuditEvent.action)))
    assert {"channel.create", "channel.update", "channel.delete"} <= actions
