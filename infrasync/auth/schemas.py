from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

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
