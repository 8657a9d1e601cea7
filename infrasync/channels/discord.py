"""Discord webhooks: the renderer's messages posted in order with `?wait=true`, so that
Discord answers with each message and its id is kept as a receipt.

Errors are JSON `{"code", "message"}`; a 429 carries `retry_after` in (fractional)
seconds in its body besides the Retry-After header."""

from __future__ import annotations

import json
from typing import Any

from infrasync.channels.base import (
    Attempt,
    Outcome,
    Permanent,
    Retry,
    bounded_delay,
    parse_retry_after,
)
from infrasync.channels.http import (
    Accepted,
    Answer,
    SafePoster,
    post_part,
    send_in_order,
    server_error,
)
from infrasync.renderers import discord

# 404 Unknown Webhook (10015) and 401 Invalid Webhook Token (50027): the webhook is gone.
# 403 Missing Access/Permissions: it cannot post there until someone changes the
# channel. Discord bans an address that keeps sending 401/403/404s, so these disable.
_CHANNEL_GONE = {
    401: "Discord refused this webhook's token.",
    403: "Discord does not let this webhook post to its channel.",
    404: "Discord says this webhook no longer exists.",
}


def _json(answer: Answer) -> dict[str, Any]:
    document = answer.json()
    return document if isinstance(document, dict) else {}


def _retry_after(answer: Answer) -> float | None:
    """The body's `retry_after` (fractional seconds), else the Retry-After header."""
    seconds = _json(answer).get("retry_after")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        delay = bounded_delay(float(seconds))
        if delay is not None:
            return delay
    return parse_retry_after(answer.headers.get("Retry-After"))


def classify(answer: Answer) -> Accepted | Retry | Permanent:
    status = answer.status
    if 200 <= status < 300:
        message_id = _json(answer).get("id")  # a 204 (no wait) has no body, and no id
        return Accepted(status, str(message_id) if isinstance(message_id, str | int) else None)
    if status == 429:
        return Retry(
            status, "Discord is rate limiting this webhook.", retry_after=_retry_after(answer)
        )
    if status >= 500:
        return server_error("Discord", status)
    if status in _CHANNEL_GONE:
        return Permanent(status, _CHANNEL_GONE[status])
    code = _json(answer).get("code")
    label = f"code {code}" if isinstance(code, int) else f"HTTP {status}"
    # 400 Invalid Form Body (50035), 413 too large (40005): our message is at fault; the
    # channel is fine.
    return Permanent(status, f"Discord refused the message ({label}).", disable=False)


class DiscordTransport:
    def __init__(self, url: str, poster: SafePoster) -> None:
        self._url = url
        self._poster = poster

    async def send(self, attempt: Attempt) -> Outcome:
        parts = [json.dumps(message).encode() for message in discord.messages(attempt.digest)]
        return await send_in_order(parts, attempt.first_part, self._post)

    async def _post(self, part: bytes) -> Accepted | Retry | Permanent:
        answer = await post_part(
            self._poster,
            self._url,
            content=part,
            headers={"Content-Type": "application/json"},
            params={"wait": "true"},
        )
        return classify(answer) if isinstance(answer, Answer) else answer
