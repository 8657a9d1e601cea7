"""Generic webhooks, signed by the Standard Webhooks scheme (standardwebhooks.com).

One JSON body: the digest's SPEC §7 document with `type`, `org` and `monitor` added.
`webhook-id` is the delivery's id, the same for every retry, so a receiver can drop a
repeat; `webhook-timestamp` and `webhook-signature` are made afresh for each attempt
(receivers refuse a timestamp more than a few minutes old)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from infrasync.channels.base import Attempt, Delivered, Outcome, Permanent, Retry, parse_retry_after
from infrasync.channels.http import (
    Accepted,
    Answer,
    SafePoster,
    post_part,
    send_in_order,
    server_error,
)
from infrasync.kit.time import utcnow

EVENT_TYPE = "digest.created"


def new_webhook_secret() -> str:
    """A per-channel signing secret in the Standard Webhooks form: whsec_<base64>."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def webhook_id(attempt: Attempt) -> str:
    return f"msg_{attempt.delivery_id.hex}"


def body(attempt: Attempt) -> dict[str, Any]:
    document = attempt.digest_json if attempt.digest_json is not None else attempt.digest.as_json()
    return {
        "type": EVENT_TYPE,
        "org": attempt.org_slug,
        "monitor": attempt.monitor_name,
        **document,
    }


def classify(answer: Answer) -> Accepted | Retry | Permanent:
    status = answer.status
    if 200 <= status < 300:
        return Accepted(status)
    if status == 410:  # Standard Webhooks: "gone" means stop sending to this endpoint
        return Permanent(status, "The receiver says this webhook is gone (HTTP 410).")
    retry_after = parse_retry_after(answer.headers.get("Retry-After"))
    if status == 429:
        return Retry(status, "The receiver is rate limiting us.", retry_after=retry_after)
    if status >= 500:
        return server_error("The receiver", status)
    # Any other 4xx is retried (up to the worker's bound), as Standard Webhooks senders
    # do. A consumer answers 401/400 to a signature it cannot verify, most often because
    # it has not yet picked up a rotated secret; once it has, a retry gets through.
    # Disabling would need a human, and giving up now would lose the digest.
    return Retry(
        status, f"The receiver refused the delivery (HTTP {status}).", retry_after=retry_after
    )


class WebhookTransport:
    def __init__(
        self,
        url: str,
        secret: str,
        poster: SafePoster,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._url = url
        self._signer = Webhook(secret)
        self._poster = poster
        self._clock = clock

    async def send(self, attempt: Attempt) -> Outcome:
        if attempt.first_part >= 1:  # one part only, and it was taken
            return Delivered(None)
        content = json.dumps(body(attempt), ensure_ascii=False, separators=(",", ":"))
        message_id = webhook_id(attempt)

        async def post(part: bytes) -> Accepted | Retry | Permanent:
            timestamp = self._clock()
            headers = {
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(timestamp.timestamp())),
                "webhook-signature": self._signer.sign(message_id, timestamp, content),
            }
            answer = await post_part(self._poster, self._url, content=part, headers=headers)
            return classify(answer) if isinstance(answer, Answer) else answer

        return await send_in_order([content.encode()], 0, post)
