"""`/api/orgs/{org}/digests` (read, viewers and up) and running a monitor now (members)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse

from infrasync.deps import AppSettings, DbSession, MemberOrg, ViewerOrg
from infrasync.digests import service
from infrasync.digests.document import digest_of_record
from infrasync.digests.headline import headline_of
from infrasync.digests.metrics import MetricsV1, PeriodFigures
from infrasync.digests.schemas import (
    ChannelPreview,
    DigestDetail,
    DigestOut,
    DigestPage,
    DigestSummary,
    EmailPreview,
    PeriodOut,
    RenderedForms,
    RunDigest,
)
from infrasync.digests.service import Trigger
from infrasync.digests.window import check_moment, parse_window
from infrasync.errors import BadRequest, Conflict, NotFound, Unprocessable, documented
from infrasync.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from infrasync.kit.time import utcnow
from infrasync.models import DigestRecord
from infrasync.monitors import service as monitor_service
from infrasync.monitors.overview import run_out
from infrasync.monitors.schemas import RunOut
from infrasync.renderers import discord, email, slack
from infrasync.scheduler import service as scheduler_service

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


def filter_period(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Both ends of the list's period filter in UTC; an empty period is a mistake."""
    since, until = filter_moment(since, "since"), filter_moment(until, "until")
    if since is not None and until is not None and since >= until:
        raise Unprocessable(
            f"until: the period ends ({until:%Y-%m-%d %H:%M} UTC) before it starts "
            f"({since:%Y-%m-%d %H:%M} UTC); give an `until` after `since`."
        )
    return since, until


_FIGURE_KEYS = set(PeriodFigures.model_fields)


def figures_of(metrics: MetricsV1) -> PeriodFigures:
    """The period's own figures: no previous period, no repository's breakdown."""
    return PeriodFigures.model_validate(metrics.model_dump(include=_FIGURE_KEYS))


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
        headline=headline_of(record.text),
        figures=figures_of(MetricsV1.model_validate(record.metrics)),
    )


def full(record: DigestRecord, monitor_name: str | None) -> DigestOut:
    return DigestOut(
        **summary(record, monitor_name).model_dump(),
        repository=record.repository,
        writer_note=record.writer_note,
        text=record.text,
        metrics=record.metrics,
        items=record.items,
        grounding=record.grounding,
    )


WAIT_SECONDS = 30.0


@router.post(
    "/monitors/{monitor_id}/digests",
    response_model=RunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **documented(
            400,
            401,
            403,
            404,
            409,
            e409="A digest of that period exists, or (with `wait`) the run failed; "
            "`detail` says which",
        ),
        201: {"model": DigestOut, "description": "With `wait=true`: the digest, made"},
    },
)
async def run_monitor_now(
    monitor_id: uuid.UUID,
    context: MemberOrg,
    session: DbSession,
    settings: AppSettings,
    request: Request,
    body: RunDigest | None = None,
    wait: Annotated[
        bool, Query(description="Wait up to 30 s and answer with the digest itself (201).")
    ] = False,
) -> RunOut | JSONResponse:
    """Make a digest now, for the last 7 days unless `since`/`until` say otherwise. It
    goes through the same queue as scheduled runs: the answer is the run (202), whose
    state `GET …/runs/{run_id}` reads until it is done; its digest is then delivered to
    the monitor's channels. `wait=true` (scripts, tests) answers with the digest."""
    monitor = await monitor_service.get(session, context, monitor_id)
    request_body = body or RunDigest()
    try:
        window = parse_window(
            request_body.since, request_body.until, utcnow().replace(microsecond=0)
        )
    except ValueError as error:
        raise BadRequest(f"{error}.") from None
    if await service.existing_for_period(session, monitor.id, window):
        raise Conflict("This monitor already has a digest for exactly that period.")
    trigger = Trigger(kind="api" if context.principal.api_key else "manual", actor=context.actor)
    run = await scheduler_service.queue_run(
        session,
        monitor,
        window,
        trigger,
        up_to_now=request_body.until is None,
    )
    if not wait:
        worker = getattr(request.app.state, "worker", None)
        if worker is not None:
            await session.commit()
            worker.wake()
        return run_out(run)
    run = await scheduler_service.run_now(session, settings, run, wait_seconds=WAIT_SECONDS)
    if run.state == "done" and run.digest_id is not None:
        record = await service.get(session, context, run.digest_id)
        return JSONResponse(
            full(record, monitor.name).model_dump(mode="json", by_alias=True), status_code=201
        )
    if run.state in ("failed", "skipped"):
        # Answered, not raised: the monitor keeps the failure for everyone to see.
        return JSONResponse(
            {"detail": f"The digest could not be made: {run.error}"}, status_code=409
        )
    return JSONResponse(run_out(run).model_dump(mode="json"), status_code=202)


@router.get(
    "/monitors/{monitor_id}/runs/{run_id}",
    response_model=RunOut,
    responses=documented(401, 403, 404),
)
async def get_run(
    monitor_id: uuid.UUID, run_id: uuid.UUID, context: ViewerOrg, session: DbSession
) -> RunOut:
    """A run's state: queued, running, done (with `digest_id`), failed (with `error`) or
    skipped."""
    run = await scheduler_service.get_run(session, context.org.id, run_id)
    if run is None or run.monitor_id != monitor_id:
        raise NotFound("No such run of this monitor.")
    return run_out(run)


@router.get("/digests", response_model=DigestPage, responses=documented(400, 401, 403, 404, 422))
async def list_digests(
    context: ViewerOrg,
    session: DbSession,
    monitor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DigestPage:
    """The org's digests, newest first, each with its headline and figures; filter by
    monitor and by overlap with a period (`until` after `since`)."""
    since, until = filter_period(since, until)
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
    made = digest_of_record(record)
    rendered = RenderedForms(
        html=email.safe_html(made.text),
        slack=slack.messages(made),
        discord=discord.messages(made),
    )
    names = await service.monitor_names(session, context, {record.monitor_id})
    detail = full(record, names.get(record.monitor_id)).model_dump()
    return DigestDetail(**detail, rendered=rendered)


@router.get(
    "/digests/{digest_id}/preview",
    response_model=ChannelPreview,
    responses=documented(401, 403, 404),
)
async def preview_digest(
    digest_id: uuid.UUID, context: ViewerOrg, session: DbSession
) -> ChannelPreview:
    """What each kind of channel receives of this digest: Slack's and Discord's webhook
    payloads, the email (subject, sanitised HTML body, plain text) and the Markdown.
    Made by the same renderers as deliveries, from the digest as stored."""
    record = await service.get(session, context, digest_id)
    made = digest_of_record(record)
    return ChannelPreview(
        markdown=made.text,
        slack=slack.messages(made),
        discord=discord.messages(made),
        email=EmailPreview(
            subject=email.subject(made), html=email.body(made), text=email.text(made)
        ),
    )
