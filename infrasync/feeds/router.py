"""`/api/orgs/{org}/feeds` (admins and up: a feed shares the org's digests with anyone
holding its URL, see feeds/service) and the public feed `/api/feeds/{token}.atom`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from infrasync import __version__
from infrasync.deps import AdminOrg, AppSettings, Client, DbSession
from infrasync.errors import documented
from infrasync.feeds import atom, service
from infrasync.feeds.atom import CONTENT_TYPE
from infrasync.feeds.schemas import FeedCreated, FeedList, FeedOut

router = APIRouter(prefix="/api/orgs/{org}/feeds", tags=["feeds"])
public_router = APIRouter(prefix="/api/feeds", tags=["feeds"])
READ = documented(401, 403, 404)
WRITE = documented(401, 403, 404, 409)


def _out(listed: service.Listed) -> FeedOut:
    return FeedOut(
        monitor_id=listed.feed.monitor_id,
        monitor_name=listed.monitor_name,
        token_hint=listed.feed.hint,
        created_at=listed.feed.created_at,
        rotated_at=listed.feed.rotated_at,
    )


def _created(issued: service.Issued) -> FeedCreated:
    listed = service.Listed(feed=issued.feed, monitor_name=issued.monitor_name)
    return FeedCreated(**_out(listed).model_dump(), url=issued.url)


@router.get("", response_model=FeedList, responses=READ)
async def list_feeds(context: AdminOrg, session: DbSession) -> FeedList:
    """The org's feeds that are on, one per monitor, with a hint of each token (never
    the token)."""
    return FeedList(items=[_out(listed) for listed in await service.list_feeds(session, context)])


@router.put(
    "/{monitor_id}",
    response_model=FeedCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**WRITE, 409: {"description": "The feed is on already; rotate it instead"}},
)
async def enable_feed(
    monitor_id: uuid.UUID,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> FeedCreated:
    """Turns on the monitor's Atom feed of its last 50 digests, readable without a
    session. The answer's `url` holds the feed's token and is shown this once. Audited."""
    return _created(await service.enable(session, context, settings, monitor_id, client))


@router.delete(
    "/{monitor_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=READ
)
async def disable_feed(
    monitor_id: uuid.UUID, context: AdminOrg, session: DbSession, client: Client
) -> None:
    """Turns the feed off: its URL answers 404 from now on. Audited."""
    await service.disable(session, context, monitor_id, client)


@router.post("/{monitor_id}/rotate", response_model=FeedCreated, responses=READ)
async def rotate_feed(
    monitor_id: uuid.UUID,
    context: AdminOrg,
    session: DbSession,
    settings: AppSettings,
    client: Client,
) -> FeedCreated:
    """A new URL for the feed, shown once; the old one answers 404 at once. Audited."""
    return _created(await service.rotate(session, context, settings, monitor_id, client))


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    given = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in given or "*" in given


@public_router.get(
    "/{token}.atom",
    response_class=Response,
    responses={
        200: {"content": {"application/atom+xml": {}}, "description": "The Atom feed"},
        304: {"description": "Unchanged since the copy whose ETag was sent in If-None-Match"},
        **documented(404),
    },
)
async def read_feed(
    token: str,
    session: DbSession,
    settings: AppSettings,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """A monitor's last 50 digests, newest first, as Atom with sanitised HTML. No session:
    the token in the URL is the key. A wrong, rotated or turned-off token is a 404. Feed
    readers poll: an `If-None-Match` with the last ETag gets a 304 while nothing changed."""
    document = await service.read(session, settings, token)
    etag = atom.etag(document, __version__)
    # Not for search engines or shared caches: the URL is a secret.
    headers = {"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex", "ETag": etag}
    if _matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = atom.render(document, __version__)
    return Response(content=body, media_type=CONTENT_TYPE, headers=headers)
