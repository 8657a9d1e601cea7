"""The GDPR export (`GET /api/me/export`): everything Infrasync holds about a person, as
one versioned JSON document. Built field by field from the rows, never by dumping a row,
so that no secret (tokens, webhook URLs, key or session hashes) can slip in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

EXPORT_SCHEMA_VERSION = 1
# Whether an address of an email channel still gets its digests.
AddressStatus = Literal["receiving", "unsubscribed", "refused"]


class ExportProfile(BaseModel):
    id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    github_id: int | None
    is_admin: bool
    created_at: datetime


class ExportMembership(BaseModel):
    org_id: uuid.UUID
    org_slug: str
    org_name: str
    role: str
    joined_at: datetime
    org_deleted_at: datetime | None


class ExportAuditEntry(BaseModel):
    id: uuid.UUID
    created_at: datetime
    org_slug: str | None
    action: str
    by_you: bool = Field(description="You acted (else the entry is about you).")
    actor_type: str
    actor_label: str
    target_type: str | None
    target_id: str | None
    target_label: str | None
    details: dict[str, Any]
    ip: str | None
    user_agent: str | None


class ExportDigest(BaseModel):
    id: uuid.UUID
    org_slug: str
    monitor_name: str
    repository: str | None
    period_since: datetime
    period_until: datetime
    trigger: str
    writer: str
    created_at: datetime


class ExportGitHubConnection(BaseModel):
    """Scopes and the token's hint only: never the token."""

    github_login: str | None
    scopes: list[str]
    token_hint: str
    private_access: bool
    connected_at: datetime


class ExportEmailChannel(BaseModel):
    org_slug: str
    channel_name: str
    address: str
    status: AddressStatus


class UserExport(BaseModel):
    schema_version: int = EXPORT_SCHEMA_VERSION
    exported_at: datetime
    profile: ExportProfile
    memberships: list[ExportMembership]
    audit_entries: list[ExportAuditEntry]
    digests_triggered: list[ExportDigest]
    github_connection: ExportGitHubConnection | None
    email_channels: list[ExportEmailChannel]
