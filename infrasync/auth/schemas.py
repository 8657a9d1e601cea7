from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class Me(BaseModel):
    id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    is_admin: bool
    created_at: datetime
