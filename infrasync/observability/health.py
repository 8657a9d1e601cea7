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
from infrasync.db import current_revisions, head_revisions

READINESS_TIMEOUT_S = 5.0

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]
    detail: str | None = None


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
    return Readiness(status="ready", checks={"database": "ok", "migrations": "ok"})


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
