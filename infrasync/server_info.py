"""`GET /api/server`: what this server offers, so the web app shows only what works here
(a "Connect GitHub" button only when GitHub sign-in is configured, a local path field
only when the operator allows local sources, the AI writer only when a model is set)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from infrasync import __version__
from infrasync.deps import AppSettings
from infrasync.sources.service import local_sources_allowed
from infrasync.writers import llm

router = APIRouter(tags=["server"])


class ServerInfo(BaseModel):
    version: str
    github_sign_in: bool = Field(description="Sign-in and Connect GitHub are configured")
    local_sources: bool = Field(description="Monitors may read local git repositories")
    llm_writer: bool = Field(description="An AI model is configured for digests")


@router.get("/api/server", response_model=ServerInfo)
async def server_info(settings: AppSettings) -> ServerInfo:
    """Public: what this server offers. Names no secret and no address."""
    return ServerInfo(
        version=__version__,
        github_sign_in=settings.github_sign_in_enabled,
        local_sources=local_sources_allowed(settings),
        llm_writer=llm.configured(settings),
    )
