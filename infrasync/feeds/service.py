"""Turning a monitor's feed on and off, rotating its token, and reading it by token.

Admins and owners do the first three (SPEC §5 gives them what shares the org's data
outside it: channels, invites, API keys). A feed is such a share: whoever holds its URL
reads every digest of the monitor with no account, so a member, who may only make
digests, cannot publish them. Each change is audited in its own transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import OrgContext
from infrasync.config import Settings
from infrasync.errors import Conflict, NotFound
from infrasync.feeds import atom, repository
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import DigestRecord, Monitor, MonitorFeed, Org
from infrasync.monitors import service as monitor_service

TOKEN_PREFIX = "isf_"  # noqa: S105 (a prefix that secret scanners can match)
FEED_ENTRIES = 50
# A token as new_token makes it: the prefix and 43 URL-safe characters. Anything else is
# no token of ours, and is answered 404 without a query.
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_MAX_TOKEN = 100


@dataclass(frozen=True)
class Listed:
    feed: MonitorFeed
    monitor_name: str


@dataclass(frozen=True)
class Issued:
    """A feed with its URL, which holds the token: shown to its caller once."""

    feed: MonitorFeed
    monitor_name: str
    url: str


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/api/feeds/{token}.atom"


def _hint(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + 4]


def _target(monitor: Monitor) -> Target:
    return Target(type="monitor", id=str(monitor.id), label=monitor.name)


async def _feed_of(session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID) -> Listed:
    monitor = await monitor_service.get(session, context, monitor_id)
    feed = await repository.feed_of_monitor(session, monitor.id)
    if feed is None:
        raise NotFound("This monitor's feed is off; turn it on first.")
    return Listed(feed=feed, monitor_name=monitor.name)


async def list_feeds(session: AsyncSession, context: OrgContext) -> list[Listed]:
    rows = await repository.feeds_of_org(session, context.org.id)
    return [Listed(feed=feed, monitor_name=name) for feed, name in rows]


async def enable(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    monitor_id: uuid.UUID,
    client: ClientInfo,
) -> Issued:
    monitor = await monitor_service.get(session, context, monitor_id)
    if await repository.feed_of_monitor(session, monitor.id) is not None:
        raise Conflict(
            "This monitor's feed is already on. Rotate its token for a new URL, "
            "or turn it off first."
        )
    token = new_token(TOKEN_PREFIX)
    user = context.user
    feed = MonitorFeed(
        org_id=context.org.id,
        monitor_id=monitor.id,
        token_hash=hash_token(token),
        hint=_hint(token),
        enabled_by_id=user.id if user else None,
    )
    try:
        await repository.add(session, feed)
    except IntegrityError:
        # Another request turned it on between our look and our insert.
        raise Conflict("This monitor's feed was turned on at the same moment.") from None
    await audit.record_in_org(
        session, context, "feed.enable", client, _target(monitor), {"token_hint": feed.hint}
    )
    return Issued(feed=feed, monitor_name=monitor.name, url=feed_url(settings, token))


async def disable(
    session: AsyncSession, context: OrgContext, monitor_id: uuid.UUID, client: ClientInfo
) -> None:
    monitor = await monitor_service.get(session, context, monitor_id)
    listed = await _feed_of(session, context, monitor.id)
    await repository.remove(session, listed.feed)
    await audit.record_in_org(
        session, context, "feed.disable", client, _target(monitor), {"token_hint": listed.feed.hint}
    )


async def rotate(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    monitor_id: uuid.UUID,
    client: ClientInfo,
) -> Issued:
    monitor = await monitor_service.get(session, context, monitor_id)
    listed = await _feed_of(session, context, monitor.id)
    feed, old_hint = listed.feed, listed.feed.hint
    token = new_token(TOKEN_PREFIX)
    feed.token_hash, feed.hint, feed.rotated_at = hash_token(token), _hint(token), utcnow()
    await session.flush()
    await audit.record_in_org(
        session,
        context,
        "feed.rotate",
        client,
        _target(monitor),
        {"token_hint": {"from": old_hint, "to": feed.hint}},
    )
    return Issued(feed=feed, monitor_name=monitor.name, url=feed_url(settings, token))


def _looks_like_token(token: str) -> bool:
    return (
        token.startswith(TOKEN_PREFIX)
        and len(token) <= _MAX_TOKEN
        and set(token[len(TOKEN_PREFIX) :]) <= _TOKEN_CHARS
    )


def _entry(settings: Settings, org: Org, record: DigestRecord, monitor_name: str) -> atom.Entry:
    repository_name = record.repository.get("name") if isinstance(record.repository, dict) else None
    return atom.Entry(
        id=record.id,
        markdown=record.text,
        fallback_title=f"Digest of {repository_name or monitor_name}",
        writer=record.writer,
        writer_note=record.writer_note,
        created_at=record.created_at,
        permalink=f"{settings.effective_frontend_url}/orgs/{org.slug}/digests/{record.id}",
    )


async def read(session: AsyncSession, settings: Settings, token: str) -> atom.Feed:
    """What the Atom document of the feed this token opens holds: its monitor's newest
    digests (atom.render makes the XML, atom.etag its validator).
    A token that is wrong, rotated away or of a feed turned off, or a feed whose monitor
    or org was deleted, is one 404, so no answer tells them apart."""
    found = (
        await repository.live_feed(session, hash_token(token)) if _looks_like_token(token) else None
    )
    if found is None:
        raise NotFound("No such feed. Its URL may have been rotated or turned off.")
    feed, monitor, org = found
    records = await repository.newest_digests(session, monitor.id, FEED_ENTRIES)
    return atom.Feed(
        id=feed.id,
        title=f"{monitor.name} · Infrasync digests",
        monitor_page=f"{settings.effective_frontend_url}/orgs/{org.slug}/digests?monitor={monitor.id}",
        created_at=feed.created_at,
        entries=[_entry(settings, org, record, monitor.name) for record in records],
    )
