"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from typing import Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infrasync import __version__
from infrasync.db import current_revisions, head_revisions, session_factory, session_scope
from infrasync.scheduler import service as scheduler_service

READINESS_TIMEOUT_S = 5.0
# A worker beats every 10 s; a tick on cron may run only every few minutes.
WORKER_SILENT_AFTER_S = 600

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]
    detail: str | None = None
    warnings: list[str] = []


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: the process answers. Touches no database, so a database outage does not
    make an orchestrator restart healthy processes."""
    return Health(status="ok", version=__version__)


async def _database_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        return await connection.run_sync(current_revisions)


def _describe_revisions(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"


async def check_readiness(engine: AsyncEngine) -> Readiness:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_S):
            revisions = await _database_revisions(engine)
    except Exception as error:
        # Details (host names, driver messages) go to the log, not to a public endpoint.
        log.warning("readiness: database unreachable", error=repr(error))
        return Readiness(
            status="unavailable",
            checks={"database": "unreachable", "migrations": "unknown"},
            detail="The database cannot be reached; the server log says why.",
        )
    expected = head_revisions()
    if revisions != expected:
        return Readiness(
            status="unavailable",
            checks={
                "database": "ok",
                "migrations": (
                    f"behind: database at {_describe_revisions(revisions)}, "
                    f"code expects {_describe_revisions(expected)}"
                ),
            },
            detail="The database schema is not current: run `infrasync migrate`.",
        )
    checks = {"database": "ok", "migrations": "ok"}
    warning = await _worker_warning(engine)
    checks["worker"] = warning or "ok"
    return Readiness(status="ready", checks=checks, warnings=[warning] if warning else [])


async def _worker_warning(engine: AsyncEngine) -> str | None:
    """No worker seen lately is a warning, not a failure: the API serves without one
    (`serve --no-worker` with workers elsewhere, or a `tick` on cron), but scheduled
    digests will not go out until one runs."""
    async with session_scope(session_factory(engine)) as session:
        figures = await scheduler_service.figures(session)
    age = figures.heartbeat_age_seconds
    if age is None:
        return "no worker has been seen: scheduled digests are not being made or delivered"
    if age > WORKER_SILENT_AFTER_S:
        return f"no worker seen for {int(age)} s: scheduled digests may be late"
    return None


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A check failed; `checks` says which"}},
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: the database is reachable and its schema is at the newest migration."""
    readiness = await check_readiness(request.app.state.engine)
    status = 200 if readiness.status == "ready" else 503
    return JSONResponse(readiness.model_dump(exclude_none=True), status_code=status)
