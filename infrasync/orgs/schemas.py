from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictInt, StringConstraints

from infrasync.models import Role

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$"

OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


class StrictInput(BaseModel):
    # Unknown fields are refused: a typo must not be silently ignored. Numbers are
    # StrictInt where they appear, so `true` or `"7"` is an error rather than a guess.
    model_config = ConfigDict(extra="forbid")


class OrgCreate(StrictInput):
    name: OrgName
    slug: Slug | None = Field(
        default=None, description="Lowercase letters, digits and dashes; from the name if left out."
    )


class OrgUpdate(StrictInput):
    name: OrgName | None = None
    slug: Slug | None = None


class SlugPreview(BaseModel):
    slug: str = Field(description="The slug an org with this name would get now.")


class OrgOut(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    role: Role = Field(description="The caller's role in this org.")
    created_at: datetime
    deleted_at: datetime | None
    restorable_until: datetime | None = Field(
        default=None,
        description="For a deleted org (listed with include_deleted=true): its owners may "
        "restore it until then; afterwards it is purged.",
    )


class MemberOut(BaseModel):
    user_id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    role: Role
    joined_at: datetime


class MemberUpdate(StrictInput):
    role: Role


class InviteCreate(StrictInput):
    role: Role = Role.MEMBER
    email: EmailStr | None = Field(
        default=None, description="When set, only a user with this email can accept."
    )
    expires_in_days: StrictInt = Field(default=7, ge=1, le=30)


InviteStatus = Literal["pending", "accepted", "revoked", "expired"]


class InviteOut(BaseModel):
    id: uuid.UUID
    role: Role
    email: str | None
    invited_by: str | None
    status: InviteStatus
    created_at: datetime
    expires_at: datetime


class InviteCreated(InviteOut):
    token: str = Field(description="Shown once; only its hash is stored.")
    url: str


class InvitePreview(BaseModel):
    org_name: str
    org_slug: str
    role: Role
    invited_by: str | None
    email_bound: bool
    status: InviteStatus
    expires_at: datetime


class ApiKeyCreate(StrictInput):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Role = Role.VIEWER


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    hint: str = Field(description="The key's first characters, to tell keys apart.")
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Shown once; only its hash is stored.")
