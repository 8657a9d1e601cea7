"""Channels (admins and up, SPEC §5), the delivery outbox and sending.

Sending follows the rule every outbound call here keeps: claim in one short transaction,
call the receiver with none open, record the outcome in another (ARCHITECTURE "A
request's way"). An outcome is one of three: delivered; transient (retried with
exponential backoff and jitter, honouring the receiver's Retry-After, up to a bound);
permanent (the delivery fails, and when the channel itself is dead, the channel is
disabled with the reason, for an admin to see and fix).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import OrgContext
from infrasync.billing import limits as plan_limits
from infrasync.channels.base import Attempt, Delivered, Outcome, Permanent, Retry, Transport
from infrasync.config import Settings
from infrasync.delivery import repository, transports
from infrasync.delivery.repository import Sendable
from infrasync.delivery.schemas import ChannelCreate, ChannelUpdate
from infrasync.digests.document import Digest, digest_of_record, sample_digest
from infrasync.errors import NotFound, Unprocessable
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.crypto import DecryptionFailed, SecretBox
from infrasync.kit.time import utcnow
from infrasync.models import Channel, Delivery, DeliveryAttempt, DigestRecord, EmailSuppression

log = structlog.get_logger(__name__)

URL_KINDS = frozenset({"slack", "discord", "webhook"})


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the worker tries. The defaults spread eight tries over about four hours:
    long enough to ride out a receiver's outage, short enough that a digest still means
    something when it lands."""

    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def next_delay(self, attempts: int, retry_after: float | None) -> timedelta:
        """Exponential backoff with full jitter (half to all of the step), or the
        receiver's own Retry-After when it asks for longer."""
        step = min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempts - 1)))
        delay: timedelta = step * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        return delay


@dataclass
class DeliveryCounters:
    """What the worker counts, for /metrics (observability/worker_metrics.py)."""

    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)
    retries: int = 0

    def count(self, kind: str, outcome: str) -> None:
        key = (kind, outcome)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


# Channels --------------------------------------------------------------------------------


def _target(channel: Channel) -> Target:
    return Target(type="channel", id=str(channel.id), label=channel.name)


def _box(settings: Settings) -> SecretBox:
    return SecretBox.from_keys(settings.fernet_keys)


def _check_url(settings: Settings, kind: str, url: str) -> str:
    try:
        return transports.check_channel_url(settings, kind, url)
    except ValueError as error:
        raise Unprocessable(f"url: {error}") from None


def _check_addresses(addresses: Sequence[str] | None) -> list[str]:
    if not addresses:
        raise Unprocessable("addresses: an email channel needs at least one address.")
    try:
        return transports.normalize_addresses(list(addresses))
    except ValueError as error:
        raise Unprocessable(f"addresses: {error}") from None


async def list_channels(session: AsyncSession, context: OrgContext) -> list[Channel]:
    return await repository.channels(session, context.org.id)


async def get_channel(session: AsyncSession, context: OrgContext, channel_id: uuid.UUID) -> Channel:
    channel = await repository.channel_in_org(session, context.org.id, channel_id)
    if channel is None:
        raise NotFound("No such channel in this org.")
    return channel


async def create_channel(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    body: ChannelCreate,
    client: ClientInfo,
) -> tuple[Channel, str | None]:
    """A new channel, and (for a generic webhook) its signing secret, shown only now."""
    await plan_limits.check_channel_slot(session, settings, context.org)
    channel = Channel(
        org_id=context.org.id,
        kind=body.kind,
        name=body.name,
        created_by_id=context.principal.on_behalf_of,
        addresses=[],
    )
    secret = None
    if body.kind == "email":
        if body.url is not None:
            raise Unprocessable("url: an email channel has addresses, not a URL.")
        channel.addresses = _check_addresses(body.addresses)
        channel.hint = _addresses_hint(channel.addresses)
    else:
        if body.addresses is not None:
            raise Unprocessable(f"addresses: a {body.kind} channel has a URL, not addresses.")
        if body.url is None:
            raise Unprocessable(f"url: a {body.kind} channel needs its webhook URL.")
        _seal_url(channel, settings, _check_url(settings, body.kind, body.url))
        if body.kind == "webhook":
            secret = transports.new_signing_secret()
            channel.signing_secret_sealed = _box(settings).seal(secret)
    await repository.add(session, channel)
    await audit.record_in_org(
        session, context, "channel.create", client, _target(channel), {"kind": channel.kind}
    )
    return channel, secret


def _seal_url(channel: Channel, settings: Settings, url: str) -> None:
    channel.url_sealed = _box(settings).seal(url)
    channel.hint = transports.url_hint(url)


def _addresses_hint(addresses: list[str]) -> str:
    first = addresses[0] if addresses else ""
    more = f" and {len(addresses) - 1} more" if len(addresses) > 1 else ""
    return f"{first}{more}"


async def update_channel(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    client: ClientInfo,
) -> Channel:
    channel = await get_channel(session, context, channel_id)
    changed: list[str] = []
    if body.name is not None and body.name != channel.name:
        channel.name = body.name
        changed.append("name")
    if body.url is not None:
        if channel.kind not in URL_KINDS:
            raise Unprocessable(f"url: a {channel.kind} channel has no URL to change.")
        _seal_url(channel, settings, _check_url(settings, channel.kind, body.url))
        changed.append("url")
    if body.addresses is not None:
        if channel.kind != "email":
            raise Unprocessable(f"addresses: a {channel.kind} channel has a URL, not addresses.")
        channel.addresses = _check_addresses(body.addresses)
        channel.hint = _addresses_hint(channel.addresses)
        changed.append("addresses")
    # A changed URL or list is the usual fix for what disabled the channel.
    if body.enabled or (body.enabled is None and {"url", "addresses"} & set(changed)):
        if channel.disabled_at is not None:
            channel.disabled_at, channel.disabled_reason = None, None
            changed.append("enabled")
    elif body.enabled is False and channel.disabled_at is None:
        await disable(session, channel, "Disabled by an admin.")
        changed.append("disabled")
    if changed:
        await audit.record_in_org(
            session, context, "channel.update", client, _target(channel), {"changed": changed}
        )
    await session.flush()
    return channel


def inbox_directory(settings: Settings) -> Path:
    return transports.inbox_directory(settings)


async def create_inbox_channel(
    session: AsyncSession, context: OrgContext, settings: Settings, name: str
) -> Channel:
    """The demo's channel: digests written into `./.infrasync/inbox` on this server."""
    channel = Channel(
        org_id=context.org.id,
        kind="file",
        name=name,
        hint=str(transports.inbox_directory(settings)),
        addresses=[],
        created_by_id=context.principal.on_behalf_of,
    )
    await repository.add(session, channel)
    return channel


async def delete_channel(
    session: AsyncSession, context: OrgContext, channel_id: uuid.UUID, client: ClientInfo
) -> None:
    channel = await get_channel(session, context, channel_id)
    channel.deleted_at = utcnow()
    await repository.cancel_pending(session, channel.id, "The channel was deleted.")
    await audit.record_in_org(session, context, "channel.delete", client, _target(channel))


async def rotate_signing_secret(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    channel_id: uuid.UUID,
    client: ClientInfo,
) -> str:
    channel = await get_channel(session, context, channel_id)
    if channel.kind != "webhook":
        raise Unprocessable("Only a generic webhook channel has a signing secret.")
    secret = transports.new_signing_secret()
    channel.signing_secret_sealed = _box(settings).seal(secret)
    await audit.record_in_org(session, context, "channel.rotate_secret", client, _target(channel))
    return secret


async def disable(session: AsyncSession, channel: Channel, reason: str) -> None:
    """Stops deliveries to the channel until an admin changes or re-enables it."""
    channel.disabled_at, channel.disabled_reason = utcnow(), reason[:500]
    await repository.cancel_pending(session, channel.id, f"The channel is disabled: {reason}")


async def monitor_ids_of(
    session: AsyncSession, channels: list[Channel]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    return await repository.monitor_ids_of_channels(session, [c.id for c in channels])


async def suppressions_of(
    session: AsyncSession, channels: list[Channel]
) -> dict[uuid.UUID, dict[str, str]]:
    return await repository.suppressions(session, [c.id for c in channels if c.kind == "email"])


async def last_delivery_of(
    session: AsyncSession, channels: list[Channel]
) -> dict[uuid.UUID, Delivery]:
    return await repository.latest_delivery_per_channel(session, [c.id for c in channels])


async def attempts_page(
    session: AsyncSession,
    context: OrgContext,
    channel_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[DeliveryAttempt], str | None]:
    channel = await get_channel(session, context, channel_id)
    return await repository.attempts_page(session, channel.id, limit=limit, cursor=cursor)


# Monitors' channels ------------------------------------------------------------------------


async def attach_to_monitor(
    session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID, channel_ids: list[uuid.UUID]
) -> None:
    """Sets the channels a monitor's digests go to: all of this org, or none is set."""
    wanted = set(channel_ids)
    found = await repository.live_channel_ids(session, context.org.id, wanted)
    if missing := wanted - found:
        raise Unprocessable(
            f"channel_ids: {len(missing)} of these is not a channel of this org "
            f"({', '.join(sorted(str(m) for m in missing))}); list yours with GET "
            f"/api/orgs/{context.org.slug}/channels."
        )
    await repository.set_monitor_channels(session, monitor_id, wanted)


async def channels_of_monitors(
    session: AsyncSession, monitor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Channel]]:
    return await repository.channels_of_monitors(session, monitor_ids)


async def deliveries_of_digest(
    session: AsyncSession, digest_id: uuid.UUID
) -> dict[uuid.UUID, Delivery]:
    return await repository.latest_deliveries(session, digest_id)


# The outbox ------------------------------------------------------------------------------


async def enqueue(session: AsyncSession, record: DigestRecord) -> int:
    """One delivery per channel of the digest's monitor, in the digest's transaction: a
    digest is never kept without its deliveries, nor a delivery without its digest."""
    channel_ids = await repository.deliverable_channel_ids(session, record.monitor_id)
    now = utcnow()
    for channel_id in channel_ids:
        session.add(
            Delivery(
                org_id=record.org_id,
                digest_id=record.id,
                channel_id=channel_id,
                next_attempt_at=now,
                receipts=[],
            )
        )
    await session.flush()
    return len(channel_ids)


async def claim(
    session: AsyncSession, worker_id: str, policy: DeliveryPolicy, limit: int
) -> list[uuid.UUID]:
    now = utcnow()
    await repository.give_up_abandoned(session, now, policy.max_attempts)
    return await repository.claim_deliveries(
        session, worker_id, now, policy.lease, limit, policy.max_attempts
    )


async def renew(
    session: AsyncSession, worker_id: str, ids: list[uuid.UUID], policy: DeliveryPolicy
) -> None:
    await repository.renew_leases(session, worker_id, ids, utcnow() + policy.lease)


async def release(session: AsyncSession, worker_id: str, ids: list[uuid.UUID]) -> None:
    await repository.release(session, worker_id, ids)


class _Refusing:
    """Stands in for a transport that cannot be built: every send has this outcome."""

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome

    async def send(self, attempt: Attempt) -> Outcome:
        return self._outcome


@dataclass(frozen=True)
class Prepared:
    kind: str
    transport: Transport
    attempt: Attempt


async def _prepare(session: AsyncSession, settings: Settings, item: Sendable) -> Prepared | str:
    """The transport and what to send, or why nothing can be sent."""
    channel = item.channel
    if item.org_deleted:
        # Deleting the org cancelled what was pending; this one was claimed before.
        return "The org was deleted."
    if channel is None:
        return "The channel was deleted."
    if channel.disabled_at is not None:
        return f"The channel is disabled: {channel.disabled_reason}"
    # Only email channels have suppressed addresses: one query less per chat delivery.
    suppressed = (
        await repository.suppressions(session, [channel.id]) if channel.kind == "email" else {}
    )
    try:
        transport = transports.build(settings, channel, suppressed.get(channel.id, {}))
    except DecryptionFailed as error:
        # The operator's keys, not the channel: retried (and shown) until they are fixed.
        transport = _Refusing(Retry(None, str(error)))
    digest = digest_of_record(item.digest)
    link = permalink(settings, item.org_slug, item.digest.id)
    return Prepared(
        kind=channel.kind,
        transport=transport,
        attempt=Attempt(
            delivery_id=item.delivery.id,
            channel_id=channel.id,
            org_slug=item.org_slug,
            monitor_name=item.monitor_name,
            digest=with_permalink(digest, link),
            first_part=item.delivery.parts_sent,
            digest_json=_webhook_body(item, digest, link),
        ),
    )


def permalink(settings: Settings, org_slug: str, digest_id: uuid.UUID) -> str:
    """The digest's page in the web app, where its grounding report is shown too."""
    return f"{settings.effective_frontend_url}/orgs/{org_slug}/digests/{digest_id}"


def with_permalink(digest: Digest, link: str) -> Digest:
    """The digest as chat and email show it: its text ends with a link to its page, a
    Markdown line each channel renders its own way (so it is escaped and packed like the
    rest)."""
    return digest.model_copy(
        update={"text": f"{digest.text.rstrip()}\n\n[Open in Infrasync]({link})\n"}
    )


def _webhook_body(item: Sendable, digest: Digest, link: str) -> dict[str, object]:
    body = digest.as_json()
    body.update(
        {
            "type": "digest.created",
            "org": item.org_slug,
            "monitor": item.monitor_name,
            "digest_id": str(item.digest.id),
            "url": link,
        }
    )
    return body


async def send(
    session: AsyncSession,
    settings: Settings,
    delivery_id: uuid.UUID,
    worker_id: str,
    policy: DeliveryPolicy,
    counters: DeliveryCounters | None = None,
) -> str:
    """Sends one claimed delivery and records the outcome; returns its new state.

    Commits the session twice (after reading, after recording): the receiver is called
    with no transaction open."""
    item = await repository.sendable(session, delivery_id)
    if item is None or item.delivery.state != "sending" or item.delivery.claimed_by != worker_id:
        await session.commit()
        return "lost"
    prepared = await _prepare(session, settings, item)
    if isinstance(prepared, str):
        item.delivery.state, item.delivery.last_error = "cancelled", prepared[:500]
        item.delivery.lease_until = None
        await session.commit()
        return "cancelled"
    await session.commit()
    started = time.monotonic()
    outcome = await prepared.transport.send(prepared.attempt)
    duration_ms = int((time.monotonic() - started) * 1000)
    state = await _record(session, item, outcome, duration_ms, worker_id, policy)
    await session.commit()
    if counters is not None:
        counters.count(prepared.kind, state)
        if state == "pending":
            counters.retries += 1
    return state


async def _record(
    session: AsyncSession,
    item: Sendable,
    outcome: Outcome,
    duration_ms: int,
    worker_id: str,
    policy: DeliveryPolicy,
) -> str:
    delivery = item.delivery
    now = utcnow()
    channel = item.channel
    assert channel is not None, "prepared only for a live channel"
    delivery.lease_until, delivery.claimed_by = None, None
    delivery.last_status = outcome.status
    # Refused for good, whatever became of the others: never tried again.
    await _suppress_refused(session, channel, outcome)
    if isinstance(outcome, Delivered):
        delivery.state, delivery.delivered_at, delivery.last_error = "delivered", now, None
        delivery.receipts = [*delivery.receipts, *outcome.receipts]
        kind: Literal["delivered", "retry", "failed"] = "delivered"
        error = None
    elif isinstance(outcome, Retry):
        delivery.parts_sent += outcome.parts_sent
        error = outcome.error
        if delivery.attempts >= policy.max_attempts:
            delivery.state, kind = "failed", "failed"
            error = f"Gave up after {delivery.attempts} tries: {outcome.error}"
        else:
            delivery.state, kind = "pending", "retry"
            delivery.next_attempt_at = now + policy.next_delay(
                delivery.attempts, outcome.retry_after
            )
        delivery.last_error = error[:500]
    else:
        delivery.parts_sent += outcome.parts_sent
        delivery.state, kind, error = "failed", "failed", outcome.error
        delivery.last_error = error[:500]
        if outcome.disable:
            await disable(session, channel, outcome.error)
    session.add(
        DeliveryAttempt(
            org_id=delivery.org_id,
            delivery_id=delivery.id,
            channel_id=channel.id,
            digest_id=delivery.digest_id,
            outcome=kind,
            status=outcome.status,
            error=error[:500] if error else None,
            duration_ms=duration_ms,
            worker=worker_id,
        )
    )
    # One line per attempt: ids only, never a URL, a secret or an address.
    log.info(
        "delivery attempt",
        delivery_id=str(delivery.id),
        channel_id=str(channel.id),
        channel_kind=channel.kind,
        outcome=kind,
        status=outcome.status,
        attempt=delivery.attempts,
        duration_ms=duration_ms,
    )
    return delivery.state


async def _suppress_refused(session: AsyncSession, channel: Channel, outcome: Outcome) -> None:
    """Addresses a mail server refused for good get nothing more (the others still do)."""
    for address in getattr(outcome, "refused", ()):
        if await repository.suppression(session, channel.id, address) is None:
            session.add(
                EmailSuppression(
                    channel_id=channel.id,
                    address=address,
                    reason="refused",
                    detail="The recipient's mail server refused it for good (SMTP 5xx).",
                )
            )


# Send test ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestOutcome:
    outcome: Literal["delivered", "retry", "failed"]
    status: int | None
    error: str | None


async def send_test(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    channel_id: uuid.UUID,
    client: ClientInfo,
) -> TestOutcome:
    """Sends a short sample digest now, so an admin sees the channel works. A permanent
    failure disables the channel as a real delivery would; a disabled channel can still
    be tested (that is how one checks a fix). Commits before calling out."""
    channel = await get_channel(session, context, channel_id)
    suppressed = await repository.suppressions(session, [channel.id])
    try:
        transport = transports.build(settings, channel, suppressed.get(channel.id, {}))
    except DecryptionFailed as error:
        raise Unprocessable(str(error)) from None
    digest = sample_digest(context.org.slug, utcnow())
    attempt = Attempt(
        delivery_id=uuid.uuid4(),
        channel_id=channel.id,
        org_slug=context.org.slug,
        monitor_name="Test message",
        digest=digest,
        digest_json={**digest.as_json(), "type": "channel.test", "org": context.org.slug},
    )
    await audit.record_in_org(session, context, "channel.test", client, _target(channel))
    await session.commit()
    started = time.monotonic()
    outcome = await transport.send(attempt)
    duration_ms = int((time.monotonic() - started) * 1000)
    result = _test_outcome(outcome)
    if isinstance(outcome, Permanent) and outcome.disable:
        await disable(session, channel, outcome.error)
    elif isinstance(outcome, Delivered) and channel.disabled_at is not None:
        pass  # re-enabling is an explicit act (PATCH enabled=true), not a side effect
    session.add(
        DeliveryAttempt(
            org_id=channel.org_id,
            delivery_id=None,
            channel_id=channel.id,
            digest_id=None,
            outcome="test",
            status=outcome.status,
            error=result.error,
            duration_ms=duration_ms,
            worker=None,
        )
    )
    await session.flush()
    return result


def _test_outcome(outcome: Outcome) -> TestOutcome:
    if isinstance(outcome, Delivered):
        return TestOutcome("delivered", outcome.status, None)
    if isinstance(outcome, Retry):
        return TestOutcome("retry", outcome.status, outcome.error[:500])
    return TestOutcome("failed", outcome.status, outcome.error[:500])


# Unsubscribing -------------------------------------------------------------------------------


async def unsubscribe(session: AsyncSession, settings: Settings, token: str) -> str:
    """RFC 8058 one-click unsubscribe: the signed link names the channel and address and
    needs no sign-in. Returns the channel's name. Idempotent."""
    try:
        channel_id, address = transports.read_unsubscribe_token(settings, token)
    except ValueError:
        raise NotFound(
            "This unsubscribe link is not valid; use the link from the latest email."
        ) from None
    channel = await repository.channel_by_id(session, channel_id)
    if channel is None or address not in channel.addresses:
        raise NotFound("This address is no longer on that channel: nothing more will be sent.")
    existing = await repository.suppression(session, channel.id, address)
    if existing is None:
        session.add(EmailSuppression(channel_id=channel.id, address=address, reason="unsubscribed"))
        await session.flush()
    elif existing.reason != "unsubscribed":
        existing.reason = "unsubscribed"
    log.info("email unsubscribed", channel_id=str(channel.id))
    return channel.name


def suppression_status(
    addresses: list[str], suppressed: dict[str, str]
) -> list[tuple[str, Literal["active", "unsubscribed", "refused"]]]:
    statuses: list[tuple[str, Literal["active", "unsubscribed", "refused"]]] = []
    for address in addresses:
        reason = suppressed.get(address)
        statuses.append(
            (
                address,
                "unsubscribed" if reason == "unsubscribed" else "refused" if reason else "active",
            )
        )
    return statuses


def next_attempt_shown(delivery: Delivery) -> datetime | None:
    return delivery.next_attempt_at if delivery.state == "pending" else None


async def oldest_due(session: AsyncSession, now: datetime) -> datetime | None:
    return await repository.oldest_due_delivery(session, now)


async def oldest_unsent(session: AsyncSession) -> datetime | None:
    return await repository.oldest_unsent(session)


async def deliveries_of_digests(
    session: AsyncSession, digest_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Delivery]:
    return await repository.deliveries_of_digests(session, digest_ids)


RESEAL_BATCH = 500


async def reseal_secrets(session: AsyncSession, box: SecretBox) -> int:
    """`admin rotate-keys`: every channel URL and signing secret re-encrypted under the
    first key; returns how many secrets. In batches, so memory stays flat."""
    resealed = 0
    after: uuid.UUID | None = None
    while batch := await repository.channels_after(session, after, RESEAL_BATCH):
        for channel in batch:
            if channel.url_sealed is not None:
                channel.url_sealed = box.reseal(channel.url_sealed)
                resealed += 1
            if channel.signing_secret_sealed is not None:
                channel.signing_secret_sealed = box.reseal(channel.signing_secret_sealed)
                resealed += 1
        await session.flush()
        after = batch[-1].id
    return resealed
