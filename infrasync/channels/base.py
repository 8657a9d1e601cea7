"""The contract between the delivery worker and every channel transport.

A transport never raises for a receiver's answer: it returns an Outcome the worker can
record and act on (retry later, disable the channel, or mark the delivery done). Error
texts are short sentences that name no URL, token or address, because they are stored
on the attempt row and shown to admins."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from infrasync.digests.document import Digest

# A receiver may ask for any wait; we do not let one header park a delivery for a day.
MAX_RETRY_AFTER = 3600.0


@dataclass(frozen=True)
class Delivered:
    """The receiver took every part."""

    status: int | None  # HTTP status or SMTP code of the last part
    receipts: tuple[str, ...] = ()  # Discord message ids, SMTP Message-IDs, in order


@dataclass(frozen=True)
class Retry:
    """Transient: 429, 5xx, timeout, connection refused."""

    status: int | None
    error: str  # short, no URL/secret/address in it
    retry_after: float | None = None  # seconds, from Retry-After or Discord's retry_after
    # Parts THIS attempt delivered before the failure, counted from `first_part`: the
    # next attempt resumes at `first_part + parts_sent`. Relative, so that the default 0
    # of a failure before the first post never sends the receiver back to part 0.
    parts_sent: int = 0


@dataclass(frozen=True)
class Permanent:
    """Retrying cannot help. `disable` says whether the channel itself is dead (Slack
    no_service, Discord 404/401, webhook 410, a refused destination) or only this payload
    was refused (a vendor 400 for a malformed message: the channel is fine)."""

    status: int | None
    error: str  # short, no URL/secret/address in it
    parts_sent: int = 0  # as for Retry: counted from `first_part`
    disable: bool = True


Outcome = Delivered | Retry | Permanent


@dataclass(frozen=True)
class Attempt:
    """What the worker needs to send one delivery."""

    delivery_id: uuid.UUID  # webhook-id is f"msg_{delivery_id.hex}" for every retry
    channel_id: uuid.UUID
    org_slug: str
    monitor_name: str
    digest: Digest
    first_part: int = 0  # resume: parts before this one were already taken
    digest_json: dict[str, Any] | None = None  # SPEC §7 body for the generic webhook


class Transport(Protocol):
    async def send(self, attempt: Attempt) -> Outcome: ...


def bounded_delay(seconds: float) -> float | None:
    """A receiver-supplied delay clamped to [0, MAX_RETRY_AFTER]; None when it is not a
    finite number (so the worker falls back to its own backoff)."""
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def parse_retry_after(header_value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110
    §10.2.3). Fractional seconds are accepted (some receivers send them). Unparseable or
    missing -> None; the result is bounded by MAX_RETRY_AFTER and never negative."""
    if header_value is None:
        return None
    value = header_value.strip()
    if not value:
        return None
    try:
        return bounded_delay(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms carry no zone; HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return bounded_delay((when - reference).total_seconds())
