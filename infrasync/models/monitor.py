from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, JSONDocument, RecordMixin


class Monitor(RecordMixin, Base):
    """One repository an org follows, and how its digests are made. Schedules and
    channels attach to a monitor by its id (a later issue), so nothing here names them."""

    __tablename__ = "monitors"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # `owner/repo` on GitHub, or an absolute path when local sources are allowed.
    source: Mapped[str] = mapped_column(String(500))
    source_kind: Mapped[str] = mapped_column(String(16))  # github or git
    # The GitHub token it reads with: a member's granted credential, never shown.
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("github_credentials.id", ondelete="SET NULL")
    )
    sections: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    extra_bots: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    include_bots: Mapped[bool] = mapped_column(default=False)
    skip_empty: Mapped[bool] = mapped_column(default=False)
    # Opt-in: PR descriptions go into the AI writer's facts. Off, the model sees only
    # metadata (numbers, titles, labels, authors, computed figures).
    include_pr_descriptions: Mapped[bool] = mapped_column(default=False, server_default=false())
    writer: Mapped[str] = mapped_column(String(16), default="auto")
    stale_days: Mapped[int] = mapped_column(default=3)
    paused: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_run_status: Mapped[str | None] = mapped_column(String(16))  # ok or error
    last_run_error: Mapped[str | None] = mapped_column(String(500))
