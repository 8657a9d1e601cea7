"""Request counting in the database, shared by every server process.

A sliding-window counter: the current fixed window's count plus the previous window's,
weighted by how much of it still overlaps the last `per_seconds`. Plain fixed windows
would allow twice the limit in a burst across a window boundary.

Counted in a transaction of its own and committed at once: a request that then fails
(a wrong invite token, say) must still use up its allowance, or guessing would be free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrasync.auth import repository
from infrasync.errors import RateLimited
from infrasync.kit.time import utcnow

# Old windows are swept now and then by whichever request happens to start a new one.
_SWEEP_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    bucket: str
    requests: int
    per_seconds: int


def _window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


async def hit(
    factory: async_sessionmaker[AsyncSession],
    limit: Limit,
    client_key: str,
    *,
    now: datetime | None = None,
) -> None:
    """Counts one request (made at `now`, by default the present); raises RateLimited
    (429 with Retry-After) over the limit."""
    now = now or utcnow()
    window_start = _window_start(now, limit.per_seconds)
    key = f"{limit.bucket}:{client_key}"
    previous_start = window_start - timedelta(seconds=limit.per_seconds)
    async with factory() as session:
        count = await repository.count_request(session, key, window_start)
        previous = await repository.requests_in_window(session, key, previous_start)
        if count == 1:
            await repository.forget_request_windows(session, before=now - _SWEEP_AFTER)
        await session.commit()
    elapsed = (now - window_start).total_seconds() / limit.per_seconds
    estimate = previous * (1 - elapsed) + count
    if estimate > limit.requests:
        retry_after = window_start + timedelta(seconds=limit.per_seconds) - now
        raise RateLimited(
            f"Too many attempts; try again in {math.ceil(retry_after.total_seconds())} seconds.",
            retry_after_seconds=math.ceil(retry_after.total_seconds()),
        )
