from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from infrasync.github.schemas import CredentialOut


class Me(BaseModel):
    id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    is_admin: bool
    created_at: datetime
    github: CredentialOut | None = Field(
        description="Your GitHub connection for monitors; None until you connect GitHub."
    )
    deleted_at: datetime | None = Field(
        default=None,
        description="Set while your account is deleted and you signed in again to restore it.",
    )
    restorable_until: datetime | None = Field(
        default=None,
        description="Until when POST /api/me/restore can bring a deleted account back.",
    )


class ConnectGitHub(BaseModel):
    """Start connecting GitHub so monitors can read repositories with your token."""

    model_config = ConfigDict(extra="forbid")

    private: StrictBool = Field(
        default=False,
        description="Also ask GitHub for the `repo` scope (private repositories); audited.",
    )
    return_to: str | None = Field(
        default=None, max_length=500, description="A path of the web app to come back to."
    )


class ConnectStarted(BaseModel):
    authorize_url: str = Field(description="GitHub's consent page: send the browser there.")


class SessionOut(BaseModel):
    """One signed-in browser of yours. Never its token, nor anything to rebuild it."""

    id: uuid.UUID
    current: bool = Field(description="The session this request came with.")
    device: str = Field(description="The browser and system, as its user agent names them.")
    user_agent: str | None
    ip: str | None = Field(description="Where it signed in from.")
    created_at: datetime = Field(description="When it signed in.")
    last_seen_at: datetime = Field(description="Last used (updated at most once an hour).")
    expires_at: datetime = Field(description="When it ends unless used again.")


class SessionsRevoked(BaseModel):
    revoked: int = Field(description="How many sessions were signed out.")
