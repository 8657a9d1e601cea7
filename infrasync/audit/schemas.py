from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class AuditActor(BaseModel):
    type: Literal["user", "api_key", "system"]
    id: uuid.UUID | None
    label: str


class AuditTarget(BaseModel):
    type: str
    id: str
    label: str | None


class AuditEventOut(BaseModel):
    id: uuid.UUID
    action: str
    actor: AuditActor
    target: AuditTarget | None
    details: dict[str, Any]
    ip: str | None
    user_agent: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None
