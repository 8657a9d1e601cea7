"""The conditional-request cache for GitHub's REST API.

GitHub does not count a 304 against the rate limit, so every REST GET is sent with the
`ETag` (and `Last-Modified`) of the last answer for the same URL, and a 304 is answered
from the cached body. Entries are kept per token: two tokens may see different things
at the same URL (a private repository, an org's members).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.kit.time import utcnow
from infrasync.models.github_rest_cache import GitHubRestCacheEntry


@dataclass(frozen=True)
class CachedResponse:
    etag: str | None
    last_modified: str | None
    body: str
    # Kept so that pagination can continue from a page that answered 304.
    link: str | None
    content_type: str | None


class EtagCache(Protocol):
    async def get(self, token_hash: str, url: str) -> CachedResponse | None: ...

    async def put(self, token_hash: str, url: str, entry: CachedResponse) -> None: ...


class MemoryEtagCache:
    """For the CLI and tests: lives as long as the process."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], CachedResponse] = {}

    async def get(self, token_hash: str, url: str) -> CachedResponse | None:
        return self._entries.get((token_hash, url))

    async def put(self, token_hash: str, url: str, entry: CachedResponse) -> None:
        self._entries[(token_hash, url)] = entry

    def __len__(self) -> int:
        return len(self._entries)


def url_hash(url: str) -> str:
    # URLs can be long; a fixed-size key indexes the same on SQLite and Postgres.
    return hashlib.sha256(url.encode()).hexdigest()


class DatabaseEtagCache:
    """Kept in the database so that every worker and every restart shares it.

    Each read and write is a short transaction of its own, committed at once: the cache
    belongs to no job's unit of work, and a job that fails later must not take the
    cached answer (already paid for) down with it.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def get(self, token_hash: str, url: str) -> CachedResponse | None:
        async with self._session_factory() as session:
            row = await session.scalar(_entry_query(token_hash, url))
            if row is None:
                return None
            return CachedResponse(
                etag=row.etag,
                last_modified=row.last_modified,
                body=row.body,
                link=row.link,
                content_type=row.content_type,
            )

    async def put(self, token_hash: str, url: str, entry: CachedResponse) -> None:
        async with self._session_factory() as session:
            row = await session.scalar(_entry_query(token_hash, url))
            if row is None:
                row = GitHubRestCacheEntry(token_hash=token_hash, url_hash=url_hash(url), url=url)
                session.add(row)
            row.etag = entry.etag
            row.last_modified = entry.last_modified
            row.body = entry.body
            row.link = entry.link
            row.content_type = entry.content_type
            row.fetched_at = utcnow()
            try:
                await session.commit()
            except IntegrityError:
                # Another worker cached the same URL a moment ago; theirs is as good.
                await session.rollback()

    async def prune(self, older_than: datetime) -> int:
        """Forgets answers not refreshed since `older_than` (a replaced token's, a
        repository no monitor reads any more); returns how many."""
        async with self._session_factory() as session:
            result = await session.execute(
                delete(GitHubRestCacheEntry).where(GitHubRestCacheEntry.fetched_at < older_than)
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def entries(self) -> list[GitHubRestCacheEntry]:
        """Every cached answer (for tests and operators' curiosity)."""
        async with self._session_factory() as session:
            return list((await session.scalars(select(GitHubRestCacheEntry))).all())


def _entry_query(token_hash: str, url: str) -> Select[GitHubRestCacheEntry]:
    return select(GitHubRestCacheEntry).where(
        GitHubRestCacheEntry.token_hash == token_hash,
        GitHubRestCacheEntry.url_hash == url_hash(url),
    )
