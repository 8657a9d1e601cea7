from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class FeedOut(BaseModel):
    monitor_id: uuid.UUID
    monitor_name: str
    token_hint: str = Field(description="The token's first characters, to tell URLs apart")
    created_at: datetime
    rotated_at: datetime | None = Field(description="When its token was last replaced")


class FeedCreated(FeedOut):
    url: str = Field(
        description="The feed's address, token included. Shown this once: only its hash "
        "is kept, so a lost URL is replaced by rotating the token"
    )


class FeedList(BaseModel):
    items: list[FeedOut]
