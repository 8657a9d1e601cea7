"""Slack, Discord and generic webhook transports against local fakes that speak each
vendor's protocol over real HTTP and validate what they receive (tests/fakes/
chat_receivers.py): what the receiver gets, in which order, and what the worker is told
for each answer a receiver can give."""

from __future__ import annotations

import base64
import dataclasses
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from infrasync.channels.base import (
    MAX_RETRY_AFTER,
    Attempt,
    Delivered,
    Outcome,
    Permanent,
    Retry,
    parse_retry_after,
)
from infrasync.channels.discord import DiscordTransport
from infrasync.channels.http import SafePoster
from infrasync.channels.slack import SlackTransport
from infrasync.channels.webhook import WebhookTransport, new_webhook_secret
from infrasync.digests.document import Digest
from infrasync.renderers import discord, slack
from tests.fakes.chat_receivers import (
    DiscordReceiver,
    Gone,
    Ok,
    RateLimited,
    ServerError,
    SlackReceiver,
    Slow,
    Status,
    WebhookReceiver,
)
from tests.renderers.test_renderers import builtin_digest, digest_of, sections

DELIVERY_ID = uuid.UUID("6f1c0b7e-9a42-4c55-8d3e-0f2b1a7c9d10")


def attempt_for(digest: Digest, *, first_part: int = 0) -> Attempt:
    return Attempt(
        delivery_id=DELIVERY_ID,
        channel_id=uuid.UUID("0123456789abcdef0123456789abcdef"),
        org_slug="acme",
        monitor_name="Weekly app",
        digest=digest,
        first_part=first_part,
    )


def three_part_slack_digest() -> Digest:
    digest = digest_of(sections(110))  # 111 blocks: three messages of at most 50
    assert len(slack.messages(digest)) == 3
    return digest


def three_part_discord_digest() -> Digest:
    digest = digest_of(sections(25))  # 25 embeds: three messages of at most 10
    assert len(discord.messages(digest)) == 3
    return digest


def closed_port_url(path: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def assert_names_nothing_secret(outcome: Outcome, url: str) -> None:
    """An outcome's error is shown to admins and stored: no URL, token, host or path."""
    assert not isinstance(outcome, Delivered)
    parsed = httpx.URL(url)
    segments = [segment for segment in parsed.path.split("/") if len(segment) > 5]
    for secret in (url, parsed.host, parsed.path, str(parsed.port), *segments):
        assert secret not in outcome.error
    assert outcome.error.endswith(".")


@pytest.fixture
async def poster() -> AsyncIterator[SafePoster]:
    async with SafePoster(production=False, allow_private=True) as poster:
        yield poster


@pytest.fixture
def slack_fake() -> Iterator[SlackReceiver]:
    with SlackReceiver().serving() as receiver:
        yield receiver


@pytest.fixture
def discord_fake() -> Iterator[DiscordReceiver]:
    with DiscordReceiver().serving() as receiver:
        yield receiver


@pytest.fixture
def webhook_fake() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().serving() as receiver:
        yield receiver


# Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0.25 ", 0.25),
        ("-3", 0.0),
        ("Mon, 05 Jan 2026 09:01:30 GMT", 90.0),
        ("Mon, 05 Jan 2026 08:00:00 GMT", 0.0),  # already past: go now
        ("Wed, 07 Jan 2026 09:00:00 GMT", MAX_RETRY_AFTER),  # two days: bounded
        ("99999999", MAX_RETRY_AFTER),
        ("soon", None),
        ("", None),
        ("nan", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates_within_a_bound(
    header: str | None, seconds: float | None
) -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds


# Slack ------------------------------------------------------------------------------------


async def test_slack_gets_every_part_in_order_and_each_is_valid_block_kit(
    slack_fake: SlackReceiver, poster: SafePoster
) -> None:
    digest = three_part_slack_digest()
    outcome = await SlackTransport(slack_fake.webhook_url(), poster).send(attempt_for(digest))

    assert outcome == Delivered(200)
    received = slack_fake.requests()
    assert [r.json() for r in received] == slack.messages(digest)
    assert [r.problems for r in received] == [(), (), ()]  # the fake's slack_sdk checks
    assert received[0].headers["content-type"] == "application/json"


async def test_slack_resumes_at_the_first_part_not_yet_taken(
    slack_fake: SlackReceiver, poster: SafePoster
) -> None:
    digest = three_part_slack_digest()
    url = slack_fake.webhook_url()
    slack_fake.script(Ok(), ServerError(503))
    transport = SlackTransport(url, poster)

    failed = await transport.send(attempt_for(digest))
    assert failed == Retry(503, "Slack had a server error (HTTP 503).", parts_sent=1)
    outcome = await transport.send(attempt_for(digest, first_part=0 + failed.parts_sent))

    assert outcome == Delivered(200)
    taken = [r.json() for r in slack_fake.accepted()]
    assert taken == slack.messages(digest)  # each part once, in order


async def test_slack_rate_limit_is_a_retry_after_the_seconds_slack_asks(
    slack_fake: SlackReceiver, poster: SafePoster
) -> None:
    url = slack_fake.webhook_url()
    slack_fake.script(RateLimited(30))
    outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(429, "Slack is rate limiting this webhook.", retry_after=30.0)
    assert_names_nothing_secret(outcome, url)


@pytest.mark.parametrize(
    ("reply", "status", "disable", "code"),
    [
        (Gone(), 404, True, "no_service"),
        (Status(404, "channel_not_found"), 404, True, "channel_not_found"),
        (Status(410, "channel_is_archived"), 410, True, "channel_is_archived"),
        (Status(403, "action_prohibited"), 403, True, "action_prohibited"),
        # The message is at fault, not the channel: stop retrying, keep the channel on.
        (Status(400, "invalid_blocks"), 400, False, "invalid_blocks"),
        (Status(400, "invalid_payload"), 400, False, "invalid_payload"),
    ],
)
async def test_slack_refusals_are_permanent_and_say_whether_the_channel_is_dead(
    slack_fake: SlackReceiver,
    poster: SafePoster,
    reply: Gone | Status,
    status: int,
    disable: bool,
    code: str,
) -> None:
    url = slack_fake.webhook_url()
    slack_fake.script(reply)
    outcome = await SlackTransport(url, poster).send(attempt_for(three_part_slack_digest()))

    assert isinstance(outcome, Permanent)
    assert (outcome.status, outcome.disable, outcome.parts_sent) == (status, disable, 0)
    assert code in outcome.error
    assert_names_nothing_secret(outcome, url)
    assert len(slack_fake.requests()) == 1  # nothing more is sent after a refusal


async def test_slack_server_errors_are_retried(
    slack_fake: SlackReceiver, poster: SafePoster
) -> None:
    url = slack_fake.webhook_url()
    slack_fake.script(ServerError(500))
    outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(500, "Slack had a server error (HTTP 500).")


async def test_a_receiver_that_does_not_answer_in_time_is_a_retry(
    slack_fake: SlackReceiver,
) -> None:
    never = threading.Event()  # the fake holds its answer until the test ends
    url = slack_fake.webhook_url()
    slack_fake.script(Slow(release=never))
    async with SafePoster(production=False, allow_private=True, timeout=0.2) as impatient:
        outcome = await SlackTransport(url, impatient).send(attempt_for(builtin_digest()))
    assert outcome == Retry(None, "The receiver did not answer in time.")
    assert_names_nothing_secret(outcome, url)


async def test_a_refused_connection_is_a_retry(poster: SafePoster) -> None:
    url = closed_port_url("/services/T0FAKE/B000001/token1")
    outcome = await SlackTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(None, "Could not connect to the receiver.")
    assert_names_nothing_secret(outcome, url)


# Discord ----------------------------------------------------------------------------------


async def test_discord_waits_for_each_message_and_keeps_their_ids_in_order(
    discord_fake: DiscordReceiver, poster: SafePoster
) -> None:
    digest = three_part_discord_digest()
    outcome = await DiscordTransport(discord_fake.webhook_url(), poster).send(attempt_for(digest))

    received = discord_fake.requests()
    assert [r.query for r in received] == ["wait=true"] * 3
    assert [r.json() for r in received] == discord.messages(digest)
    assert [r.problems for r in received] == [(), (), ()]
    ids = tuple(str(r.receipt) for r in received)
    assert outcome == Delivered(200, ids)
    assert len(set(ids)) == 3


async def test_discord_resumes_at_the_first_part_not_yet_taken(
    discord_fake: DiscordReceiver, poster: SafePoster
) -> None:
    digest = three_part_discord_digest()
    url = discord_fake.webhook_url()
    discord_fake.script(Ok(), Ok(), ServerError(502))
    transport = DiscordTransport(url, poster)

    failed = await transport.send(attempt_for(digest))
    assert isinstance(failed, Retry)
    assert (failed.status, failed.parts_sent) == (502, 2)
    outcome = await transport.send(attempt_for(digest, first_part=failed.parts_sent))

    assert isinstance(outcome, Delivered)
    assert len(outcome.receipts) == 1  # only this attempt's message
    assert [r.json() for r in discord_fake.accepted()] == discord.messages(digest)


async def test_discord_rate_limit_honours_the_fractional_retry_after_of_its_body(
    discord_fake: DiscordReceiver, poster: SafePoster
) -> None:
    url = discord_fake.webhook_url()
    discord_fake.script(RateLimited(1.25))  # header: Retry-After: 2
    outcome = await DiscordTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(429, "Discord is rate limiting this webhook.", retry_after=1.25)
    assert discord_fake.requests()[0].headers["content-type"] == "application/json"


async def test_discord_rate_limit_without_a_body_uses_the_header(
    discord_fake: DiscordReceiver, poster: SafePoster
) -> None:
    url = discord_fake.webhook_url()
    discord_fake.script(Status(429, "", "text/plain"))
    outcome = await DiscordTransport(url, poster).send(attempt_for(builtin_digest()))
    assert isinstance(outcome, Retry)
    assert outcome.retry_after is None  # no header either: the worker's own backoff


def _discord_error(code: int, message: str) -> str:
    return json.dumps({"code": code, "message": message})


@pytest.mark.parametrize(
    ("reply", "status", "disable"),
    [
        (Gone(), 404, True),
        (
            Status(401, _discord_error(50027, "Invalid Webhook Token"), "application/json"),
            401,
            True,
        ),
        (Status(400, _discord_error(50035, "Invalid Form Body"), "application/json"), 400, False),
    ],
)
async def test_discord_refusals_are_permanent(
    discord_fake: DiscordReceiver,
    poster: SafePoster,
    reply: Gone | Status,
    status: int,
    disable: bool,
) -> None:
    url = discord_fake.webhook_url()
    discord_fake.script(reply)
    outcome = await DiscordTransport(url, poster).send(attempt_for(three_part_discord_digest()))
    assert isinstance(outcome, Permanent)
    assert (outcome.status, outcome.disable) == (status, disable)
    assert_names_nothing_secret(outcome, url)
    assert len(discord_fake.requests()) == 1


async def test_discord_server_errors_are_retried(
    discord_fake: DiscordReceiver, poster: SafePoster
) -> None:
    url = discord_fake.webhook_url()
    discord_fake.script(ServerError(503))
    outcome = await DiscordTransport(url, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(503, "Discord had a server error (HTTP 503).")


# Generic webhook --------------------------------------------------------------------------


async def test_the_webhook_is_signed_as_standard_webhooks_verify_it(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    digest = builtin_digest()
    outcome = await WebhookTransport(url, secret, poster).send(attempt_for(digest))

    assert outcome == Delivered(204)
    [received] = webhook_fake.requests()
    assert received.problems == ()  # the fake verified it with standardwebhooks
    # ... and so does any consumer holding the secret:
    body = Webhook(secret).verify(received.body, received.headers)
    assert body == {"type": "digest.created", "org": "acme", "monitor": "Weekly app"} | (
        digest.as_json()
    )
    assert received.headers["webhook-id"] == f"msg_{DELIVERY_ID.hex}"


async def test_the_webhook_body_is_the_digest_json_it_is_given(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    document: dict[str, Any] = {"repository": {"name": "acme/app"}, "text": "ünïcode — ok"}
    attempt = dataclasses.replace(attempt_for(builtin_digest()), digest_json=document)
    assert await WebhookTransport(url, secret, poster).send(attempt) == Delivered(204)
    assert webhook_fake.requests()[0].json() == {
        "type": "digest.created",
        "org": "acme",
        "monitor": "Weekly app",
        **document,
    }


async def test_every_retry_of_a_delivery_has_the_same_webhook_id_and_a_fresh_signature(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    times = iter([datetime.now(UTC) - timedelta(seconds=90), datetime.now(UTC)])
    transport = WebhookTransport(url, secret, poster, clock=lambda: next(times))
    webhook_fake.script(ServerError(500))

    first = await transport.send(attempt_for(builtin_digest()))
    second = await transport.send(attempt_for(builtin_digest()))

    assert first == Retry(500, "The receiver had a server error (HTTP 500).")
    assert second == Delivered(204)
    ids = [r.headers["webhook-id"] for r in webhook_fake.requests()]
    assert ids == [f"msg_{DELIVERY_ID.hex}"] * 2
    stamps = [r.headers["webhook-timestamp"] for r in webhook_fake.requests()]
    assert int(stamps[1]) - int(stamps[0]) == 90
    assert [r.problems for r in webhook_fake.requests()] == [(), ()]
    assert webhook_fake.webhook_ids(url) == [f"msg_{DELIVERY_ID.hex}"]


async def test_a_signature_the_receiver_cannot_verify_is_retried_until_it_can(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    old, new = new_webhook_secret(), new_webhook_secret()
    url = webhook_fake.endpoint(old)
    transport = WebhookTransport(url, new, poster)  # we rotated; the consumer has not yet

    refused = await transport.send(attempt_for(builtin_digest()))
    webhook_fake.set_secret(url, new)
    taken = await transport.send(attempt_for(builtin_digest()))

    assert refused == Retry(401, "The receiver refused the delivery (HTTP 401).")
    assert webhook_fake.requests()[0].problems == ("signature: No matching signature found",)
    assert taken == Delivered(204)


async def test_a_webhook_that_answers_410_is_disabled(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    webhook_fake.script(Gone())
    outcome = await WebhookTransport(url, secret, poster).send(attempt_for(builtin_digest()))
    assert outcome == Permanent(410, "The receiver says this webhook is gone (HTTP 410).")
    assert_names_nothing_secret(outcome, url)


async def test_a_rate_limited_webhook_is_retried_after_its_retry_after(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    webhook_fake.script(RateLimited(12))
    outcome = await WebhookTransport(url, secret, poster).send(attempt_for(builtin_digest()))
    assert outcome == Retry(429, "The receiver is rate limiting us.", retry_after=12.0)


async def test_a_webhook_already_taken_is_not_sent_again(
    webhook_fake: WebhookReceiver, poster: SafePoster
) -> None:
    secret = new_webhook_secret()
    url = webhook_fake.endpoint(secret)
    attempt = attempt_for(builtin_digest(), first_part=1)
    assert await WebhookTransport(url, secret, poster).send(attempt) == Delivered(None)
    assert webhook_fake.requests() == []


def test_new_webhook_secrets_are_random_whsec_keys_the_library_accepts() -> None:
    secrets = {new_webhook_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
        Webhook(secret)  # raises for a malformed one
