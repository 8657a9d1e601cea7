"""`/api/orgs/{org}/channels` (viewers list them, admins and up change them, SPEC §5),
their delivery log, and the one-click unsubscribe link of email digests."""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import OrgContext
from infrasync.delivery import service
from infrasync.delivery.schemas import (
    AddressOut,
    AttemptOut,
    AttemptPage,
    ChannelCreate,
    ChannelCreated,
    ChannelOut,
    ChannelUpdate,
    DeliveryStatus,
    SigningSecret,
    TestResult,
)
from infrasync.deps import AdminOrg, AppSettings, Client, DbSession, MemberOrg
from infrasync.errors import ErrorBody, OpenApiResponses, documented
from infrasync.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from infrasync.models import Channel, Role

router = APIRouter(prefix="/api/orgs/{org}/channels", tags=["channels"])
unsubscribe_router = APIRouter(prefix="/api/email/unsubscribe", tags=["channels"])
READ = documented(401, 403, 404)
WRITE = documented(400, 401, 403, 404, 422)


async def _outs(
    session: AsyncSession, channels: list[Channel], *, admin: bool = True
) -> list[ChannelOut]:
    """Members see which channels there are (to choose them for a monitor); the hints
    and the recipients' addresses are for admins (SPEC §5)."""
    monitors = await service.monitor_ids_of(session, channels)
    suppressed = await service.suppressions_of(session, channels)
    last = await service.last_delivery_of(session, channels)
    shown = []
    for channel in channels:
        statuses = service.suppression_status(channel.addresses, suppressed.get(channel.id, {}))
        delivery = last.get(channel.id)
        shown.append(
            ChannelOut(
                id=channel.id,
                kind=channel.kind,
                name=channel.name,
                hint=channel.hint if admin else "",
                addresses=[AddressOut(address=a, status=s) for a, s in statuses] if admin else [],
                disabled=channel.disabled_at is not None,
                disabled_at=channel.disabled_at,
                disabled_reason=channel.disabled_reason,
                monitor_ids=monitors.get(channel.id, []),
                last_delivery=DeliveryStatus.of(delivery) if delivery else None,
                created_at=channel.created_at,
            )
        )
    return shown


async def _out(session: AsyncSession, channel: Channel) -> ChannelOut:
    (shown,) = await _outs(session, [channel])
    return shown


def _is_admin(context: OrgContext) -> bool:
    return context.role.at_least(Role.ADMIN)


@router.get("", response_model=list[ChannelOut], responses=READ)
async def list_channels(context: MemberOrg, session: DbSession) -> list[ChannelOut]:
    """The org's channels, each one's status and, when a permanent error disabled it,
    why. Admins also see hints (never a URL or secret) and email recipients; members see
    the rest, to choose channels for their monitors."""
    channels = await service.list_channels(session, context)
    return await _outs(session, channels, admin=_is_admin(context))


@router.post(
    "",
    response_model=ChannelCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE, **documented(402)},
)
async def create_channel(
    body: ChannelCreate,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> ChannelCreated:
    """A Slack or Discord webhook, email addresses, or a signed generic webhook (its
    signing secret is in this answer only). Audited."""
    channel, secret = await service.create_channel(session, context, settings, body, client)
    shown = await _out(session, channel)
    return ChannelCreated(**shown.model_dump(), signing_secret=secret)


@router.get("/{channel_id}", response_model=ChannelOut, responses=READ)
async def get_channel(channel_id: uuid.UUID, context: MemberOrg, session: DbSession) -> ChannelOut:
    channel = await service.get_channel(session, context, channel_id)
    (shown,) = await _outs(session, [channel], admin=_is_admin(context))
    return shown


@router.patch("/{channel_id}", response_model=ChannelOut, responses=WRITE)
async def update_channel(
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> ChannelOut:
    """Rename, change the URL or addresses (which re-enables a disabled channel), or
    enable/disable it. Audited."""
    channel = await service.update_channel(session, context, settings, channel_id, body, client)
    return await _out(session, channel)


@router.delete(
    "/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=READ,
)
async def delete_channel(
    channel_id: uuid.UUID, context: AdminOrg, session: DbSession, client: Client
) -> None:
    """Deletes the channel; its pending deliveries are cancelled. Audited."""
    await service.delete_channel(session, context, channel_id, client)


@router.post("/{channel_id}/test", response_model=TestResult, responses=WRITE)
async def send_test(
    channel_id: uuid.UUID,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> TestResult:
    """Sends a short test message now and says how it went; a permanent error disables
    the channel, as a real delivery would."""
    result = await service.send_test(session, context, settings, channel_id, client)
    channel = await service.get_channel(session, context, channel_id)
    return TestResult(
        outcome=result.outcome,
        status=result.status,
        error=result.error,
        channel=await _out(session, channel),
    )


@router.post("/{channel_id}/rotate-secret", response_model=SigningSecret, responses=WRITE)
async def rotate_signing_secret(
    channel_id: uuid.UUID,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> SigningSecret:
    """A generic webhook's new signing secret, shown once; the old one stops signing at
    once. Audited."""
    secret = await service.rotate_signing_secret(session, context, settings, channel_id, client)
    return SigningSecret(signing_secret=secret)


@router.get("/{channel_id}/deliveries", response_model=AttemptPage, responses=READ)
async def list_attempts(
    channel_id: uuid.UUID,
    context: AdminOrg,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of a page")
    ] = None,
) -> AttemptPage:
    """Every delivery attempt to this channel, newest first: when, how it ended, the
    receiver's status, a short error and how long it took."""
    attempts, next_cursor = await service.attempts_page(
        session, context, channel_id, limit=limit, cursor=cursor
    )
    return AttemptPage(
        items=[
            AttemptOut(
                id=a.id,
                created_at=a.created_at,
                outcome=a.outcome,
                status=a.status,
                error=a.error,
                duration_ms=a.duration_ms,
                delivery_id=a.delivery_id,
                digest_id=a.digest_id,
            )
            for a in attempts
        ],
        next_cursor=next_cursor,
    )


# One-click unsubscribe (RFC 8058) ----------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto">'
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )


# The page is HTML; a link that is not valid is the usual JSON error.
UNSUBSCRIBE_ERRORS: OpenApiResponses = {
    404: {
        "description": "The link is not valid, or the address is no longer on the channel",
        "content": {"application/json": {"schema": ErrorBody.model_json_schema()}},
    }
}


@unsubscribe_router.get("/{token}", response_class=HTMLResponse, responses=UNSUBSCRIBE_ERRORS)
async def unsubscribe_page(token: str) -> HTMLResponse:
    """The link in an email's footer: a page with a button, since a GET must not
    unsubscribe (mail scanners open links)."""
    form = (
        '<p>Stop receiving these digests at this address?</p><form method="post">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_page("Unsubscribe", form))


@unsubscribe_router.post("/{token}", response_class=HTMLResponse, responses=UNSUBSCRIBE_ERRORS)
async def unsubscribe(token: str, session: DbSession, settings: AppSettings) -> HTMLResponse:
    """One-click unsubscribe: the mail client POSTs `List-Unsubscribe=One-Click` here
    (RFC 8058); the signed token names the channel and the address, and no sign-in is
    needed. Admins see the address as unsubscribed."""
    name = await service.unsubscribe(session, settings, token)
    return HTMLResponse(
        _page(
            "Unsubscribed",
            f"<p>This address gets no more digests from “{html.escape(name)}”.</p>",
        )
    )
