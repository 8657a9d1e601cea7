"""`/api/orgs/{org}/digests` (read, viewers and up) and running a monitor now (members)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from infrasync.deps import AppSettings, DbSession, MemberOrg, ViewerOrg
from infrasync.digests import service
from infrasync.digests.document import Digest
from infrasync.digests.schemas import (
    DigestDetail,
    DigestOut,
    DigestPage,
    DigestSummary,
    PeriodOut,
    RenderedForms,
    RunDigest,
)
from infrasync.digests.service import RunFailed, Trigger, make_digest
from infrasync.digests.window import check_moment, parse_window
from infrasync.errors import BadRequest, documented
from infrasync.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord
from infrasync.monitors import service as monitor_service
from infrasync.renderers import discord, email, slack

router = APIRouter(prefix="/api/orgs/{org}", tags=["digests"])


def filter_moment(moment: datetime | None, name: str) -> datetime | None:
    """A filter's time in UTC (one without a zone is read as UTC, as the digest periods
    are), within the bounds a digest's window has: no digest lies outside them, and a time
    like 0001-01-01T00:00+01:00 has no UTC form to compare with."""
    if moment is None:
        return None
    try:
        return check_moment(moment, name, utcnow())
    except ValueError as error:
        raise BadRequest(f"{error}.") from None


def summary(record: DigestRecord, monitor_name: str | None) -> DigestSummary:
    return DigestSummary(
        id=record.id,
        monitor_id=record.monitor_id,
        monitor_name=monitor_name,
        period=PeriodOut(since=record.period_since, until=record.period_until),
        writer=record.writer,
        trigger=record.trigger,
        triggered_by=record.triggered_by_label,
        created_at=record.created_at,
    )


def full(record: DigestRecord, monitor_name: str | None) -> DigestOut:
    return DigestOut(
        **summary(record, monitor_name).model_dump(),
        repository=record.repository,
        writer_note=record.writer_note,
        text=record.text,
        metrics=record.metrics,
        items=record.items,
    )


def document(record: DigestRecord) -> Digest:
    return Digest.model_validate(
        {
            "repository": record.repository,
            "period": {"since": record.period_since, "until": record.period_until},
            "writer": record.writer,
            "writer_note": record.writer_note,
            "text": record.text,
            "metrics": record.metrics,
            "items": record.items,
        }
    )


@router.post(
    "/monitors/{monitor_id}/digests",
    response_model=DigestOut,
    status_code=status.HTTP_201_CREATED,
    responses=documented(
        400,
        401,
        403,
        404,
        409,
        e409="A digest of that period exists, or the run failed; `detail` says which",
    ),
)
async def run_monitor_now(
    monitor_id: uuid.UUID,
    context: MemberOrg,
    session: DbSession,
    settings: AppSettings,
    body: RunDigest | None = None,
) -> DigestOut | JSONResponse:
    """Make a digest now, for the last 7 days unless `since`/`until` say otherwise."""
    monitor = await monitor_service.get(session, context, monitor_id)
    request = body or RunDigest()
    try:
        window = parse_window(request.since, request.until, utcnow().replace(microsecond=0))
    except ValueError as error:
        raise BadRequest(f"{error}.") from None
    trigger = Trigger(kind="api" if context.principal.api_key else "manual", actor=context.actor)
    try:
        record = await make_digest(session, settings, monitor, window, trigger)
    except RunFailed as failure:
        # Answered, not raised: the monitor keeps the failure for everyone to see.
        return JSONResponse({"detail": f"The digest could not be made: {failure}"}, status_code=409)
    assert record is not None, "only scheduled runs skip a quiet period"
    return full(record, monitor.name)


@router.get("/digests", response_model=DigestPage, responses=documented(400, 401, 403, 404))
async def list_digests(
    context: ViewerOrg,
    session: DbSession,
    monitor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DigestPage:
    """The org's digests, newest first; filter by monitor and by overlap with a period."""
    since, until = filter_moment(since, "since"), filter_moment(until, "until")
    records, next_cursor = await service.page(
        session,
        context,
        monitor_id=monitor_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    names = await service.monitor_names(session, context, {r.monitor_id for r in records})
    return DigestPage(
        items=[summary(r, names.get(r.monitor_id)) for r in records], next_cursor=next_cursor
    )


@router.get(
    "/digests/{digest_id}", response_model=DigestDetail, responses=documented(401, 403, 404)
)
async def get_digest(digest_id: uuid.UUID, context: ViewerOrg, session: DbSession) -> DigestDetail:
    """One digest with its text, metrics, items and the forms each channel receives."""
    record = await service.get(session, context, digest_id)
    made = document(record)
    rendered = RenderedForms(
        html=email.safe_html(made.text),
        slack=slack.messages(made),
        discord=discord.messages(made),
    )
    names = await service.monitor_names(session, context, {record.monitor_id})
    detail = full(record, names.get(record.monitor_id)).model_dump()
    return DigestDetail(**detail, rendered=rendered)
