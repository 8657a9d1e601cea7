from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin
from infrasync.kit.time import utcnow


class GitHubRestCacheEntry(RecordMixin, Base):
    """The last answer GitHub's REST API gave one token for one URL, with the validators
    (`ETag`, `Last-Modified`) that make the next request for it conditional — and free
    when nothing changed (GitHub does not count a 304)."""

    __tablename__ = "github_rest_cache"
    __table_args__ = (UniqueConstraint("token_hash", "url_hash"),)

    # sha256 of the token: the cache is per token (what a token may see differs), and
    # the token itself is never stored here.
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    url_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
