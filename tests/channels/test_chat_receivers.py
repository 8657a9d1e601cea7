"""The fake receivers refuse what the real services refuse (so a transport test that
passes against them means the vendor would take the message too), and script failures
reproducibly, for the worker and chaos tests that reuse them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from infrasync.channels.webhook import new_webhook_secret
from tests.fakes.chat_receivers import (
    DiscordReceiver,
    Ok,
    RateLimited,
    ServerError,
    SlackReceiver,
    Slow,
    WebhookReceiver,
)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def _post(url: str, payload: Any, **options: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=json.dumps(payload).encode(), **options)


# Slack ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "body"),
    [
        ({"text": "hi", "blocks": [_section("fine")]}, 200, "ok"),
        ({"text": "hi", "blocks": [_section("x")] * 50}, 200, "ok"),
        ({"text": "hi", "blocks": [_section("x")] * 51}, 400, "invalid_blocks"),
        ({"text": "hi", "blocks": [_section("x" * 3001)]}, 400, "invalid_blocks"),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            400,
            "invalid_blocks",
        ),
        (
            {"blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}]},
            400,
            "invalid_blocks",
        ),
        ({"text": "hi", "blocks": [{"type": "no_such_block"}]}, 400, "invalid_blocks"),
        ({"unfurl_links": False}, 400, "missing_text_or_fallback_or_attachments"),
        ([1, 2], 400, "invalid_payload"),
    ],
)
async def test_the_fake_slack_checks_block_kit_with_slack_sdk(
    payload: Any, status: int, body: str
) -> None:
    with SlackReceiver().serving() as slack:
        response = await _post(slack.webhook_url(), payload)
    assert (response.status_code, response.text) == (status, body)


# Discord ----------------------------------------------------------------------------------


def _embed(**fields: Any) -> dict[str, Any]:
    return {"description": "d", **fields}


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"content": "c" * 2000, "embeds": [_embed()] * 10}, 200),
        ({"content": "c" * 2001}, 400),
        ({"content": "c", "embeds": [_embed()] * 11}, 400),
        ({"embeds": [_embed(description="d" * 4000), _embed(description="d" * 2000)]}, 200),
        ({"embeds": [_embed(description="d" * 4000), _embed(description="d" * 2001)]}, 400),
        ({"embeds": [_embed(description="d" * 4097)]}, 400),
        ({"embeds": [_embed(title="t" * 257)]}, 400),
        ({"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]}, 400),
        ({"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]}, 400),
        ({"embeds": [_embed(footer={"text": "f" * 2049})]}, 400),
        ({"embeds": [_embed(description="   " + "d" * 4096 + "\n")]}, 200),  # trimmed
    ],
)
async def test_the_fake_discord_checks_discords_limits(payload: Any, status: int) -> None:
    with DiscordReceiver().serving() as fake:
        response = await _post(fake.webhook_url(), payload, params={"wait": "true"})
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == 50035
    else:
        assert response.json()["id"].isdigit()


async def test_the_fake_discord_answers_204_without_wait_and_50006_to_an_empty_message() -> None:
    with DiscordReceiver().serving() as fake:
        url = fake.webhook_url()
        taken = await _post(url, {"content": "hi"})
        empty = await _post(url, {"content": ""}, params={"wait": "true"})
    assert taken.status_code == 204
    assert (empty.status_code, empty.json()["code"]) == (400, 50006)


async def test_the_fake_discord_rate_limit_has_discords_body_and_headers() -> None:
    with DiscordReceiver().serving() as fake:
        fake.script(RateLimited(0.75))
        response = await _post(fake.webhook_url(), {"content": "hi"})
    assert response.status_code == 429
    assert response.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.75,
        "global": False,
    }
    assert response.headers["retry-after"] == "1"


# Standard Webhooks consumer ---------------------------------------------------------------


def _signed(secret: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign("msg_1", at, body),
    }


async def test_the_fake_consumer_takes_only_what_its_secret_verifies() -> None:
    secret, other = new_webhook_secret(), new_webhook_secret()
    body = json.dumps({"type": "digest.created"})
    now = datetime.now(UTC)
    with WebhookReceiver().serving() as fake:
        url = fake.endpoint(secret)
        async with httpx.AsyncClient(timeout=10) as client:
            statuses = [
                (await client.post(url, content=body, headers=headers)).status_code
                for headers in (
                    _signed(secret, body, now),
                    _signed(other, body, now),
                    _signed(secret, body, now - timedelta(minutes=10)),  # too old
                    {},
                )
            ]
        assert statuses == [204, 401, 401, 401]
        assert fake.webhook_ids(url) == ["msg_1"]


# Scripting --------------------------------------------------------------------------------


async def test_a_path_script_comes_first_then_the_shared_one_then_the_failure_rate() -> None:
    with SlackReceiver(failure_rate=1.0, failures=[ServerError(502)]).serving() as fake:
        one, two = fake.webhook_url(), fake.webhook_url()
        fake.script(RateLimited(3), path=httpx.URL(one).path)
        fake.script(Ok())
        payload = {"text": "hi"}
        statuses = [(await _post(url, payload)).status_code for url in (two, one, two, one)]
    assert statuses == [200, 429, 502, 502]
    assert fake.requests_by_path() == {httpx.URL(one).path: 2, httpx.URL(two).path: 2}
    assert fake.accepted_by_path() == {httpx.URL(two).path: 1}


async def test_random_failures_are_the_same_for_the_same_seed() -> None:
    def statuses_for(seed: int) -> list[int]:
        with SlackReceiver(
            failure_rate=0.3, failures=[ServerError(), RateLimited(1)], seed=seed
        ).serving() as fake:
            url = fake.webhook_url()

            async def send_all() -> list[int]:
                return [(await _post(url, {"text": "hi"})).status_code for _ in range(40)]

            return asyncio.run(send_all())

    first, again = (
        await asyncio.to_thread(statuses_for, 7),
        await asyncio.to_thread(statuses_for, 7),
    )
    assert first == again
    assert 0 < sum(status != 200 for status in first) < 40
    assert set(first) <= {200, 500, 429}


async def test_concurrent_requests_are_all_recorded() -> None:
    with DiscordReceiver(latency=0.01).serving() as fake:
        urls = [fake.webhook_url() for _ in range(10)]
        async with httpx.AsyncClient(timeout=10) as client:
            responses = await asyncio.gather(
                *(
                    client.post(url, json={"content": "hi"}, params={"wait": "true"})
                    for url in urls * 5
                )
            )
        assert {r.status_code for r in responses} == {200}
        assert sorted(fake.accepted_by_path().values()) == [5] * 10
        assert len({r.receipt for r in fake.requests()}) == 50  # every message its own id


async def test_a_slow_answer_for_some_seconds_comes_after_them() -> None:
    with SlackReceiver().serving() as fake:
        fake.script(Slow(seconds=0.05, then=ServerError(503)))
        response = await _post(fake.webhook_url(), {"text": "hi"})
        assert response.status_code == 503
        assert fake.wait_for(1)[0].status == 503
