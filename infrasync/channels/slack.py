"""Slack incoming webhooks: the renderer's messages posted in order.

Slack answers 200 with the plain text `ok`; errors are plain-text codes (see the
2016-05-17 changelog of Slack's incoming webhooks)."""

from __future__ import annotations

import json

from infrasync.channels.base import Attempt, Outcome, Permanent, Retry, parse_retry_after
from infrasync.channels.http import (
    Accepted,
    Answer,
    SafePoster,
    error_code,
    post_part,
    send_in_order,
    server_error,
)
from infrasync.renderers import slack

# The webhook or its channel is gone, or the workspace forbids it: nothing we send will
# get through until an admin changes the channel, so it is disabled.
_CHANNEL_GONE = {
    "no_service": "Slack says this webhook no longer exists (no_service).",
    "channel_not_found": "Slack says the webhook's channel no longer exists (channel_not_found).",
    "channel_is_archived": "Slack says the webhook's channel is archived (channel_is_archived).",
    "action_prohibited": "Slack's workspace settings prohibit this webhook (action_prohibited).",
}
_CHANNEL_STATUSES = {401, 403, 404, 410}


def classify(answer: Answer) -> Accepted | Retry | Permanent:
    status = answer.status
    if 200 <= status < 300:
        return Accepted(status)
    code = error_code(answer.text)
    label = code or f"HTTP {status}"
    if status == 429:
        return Retry(
            status,
            "Slack is rate limiting this webhook.",
            retry_after=parse_retry_after(answer.headers.get("Retry-After")),
        )
    if status >= 500:
        return server_error("Slack", status)
    if code in _CHANNEL_GONE:
        return Permanent(status, _CHANNEL_GONE[code])
    if status in _CHANNEL_STATUSES:
        return Permanent(status, f"Slack refused this webhook ({label}).")
    # 400 invalid_blocks, invalid_payload, …: our message is at fault, so retrying cannot
    # help, but the channel is fine and the next digest may well get through.
    return Permanent(status, f"Slack refused the message ({label}).", disable=False)


class SlackTransport:
    def __init__(self, url: str, poster: SafePoster) -> None:
        self._url = url
        self._poster = poster

    async def send(self, attempt: Attempt) -> Outcome:
        parts = [json.dumps(message).encode() for message in slack.messages(attempt.digest)]
        return await send_in_order(parts, attempt.first_part, self._post)

    async def _post(self, part: bytes) -> Accepted | Retry | Permanent:
        answer = await post_part(
            self._poster, self._url, content=part, headers={"Content-Type": "application/json"}
        )
        return classify(answer) if isinstance(answer, Answer) else answer
