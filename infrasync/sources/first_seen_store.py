"""Where a local monitor's first-seen cache is kept: a row per monitor
(`models/local_first_seen.py`), read while a run is claimed and written with its digest,
so no transaction stays open while git runs.

The CLI (`infrasync digest PATH`) keeps none: it has no database, and the place a file
would go is no better. Under the repository's `.git/` it would write into a repository
the CLI only reads (perhaps another user's, a read-only mount, a bare mirror a daemon
owns), beside hooks and config a hostile repository controls, through a path that
repository could make a symlink; under the user's cache directory it would be keyed by a
path that may name another repository tomorrow. A person running the CLI once in a
while pays what the digest cost before: the window, and git picking a newcomer's
commits out of the history.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models.local_first_seen import LocalFirstSeen
from infrasync.sources.first_seen import FirstSeen, FirstSeenCache


async def load(session: AsyncSession, monitor_id: uuid.UUID) -> FirstSeenCache:
    row = await session.get(LocalFirstSeen, monitor_id)
    return FirstSeenCache(FirstSeen.from_json(row.document) if row is not None else None)


async def save(session: AsyncSession, monitor_id: uuid.UUID, cache: FirstSeenCache) -> None:
    """Writes what the run left in the cache (flushed with the caller's transaction);
    nothing when it is unchanged. A repository that can keep none loses its row."""
    if not cache.changed:
        return
    row = await session.get(LocalFirstSeen, monitor_id)
    if cache.state is None:
        if row is not None:
            await session.delete(row)
        return
    document = cache.state.as_json()
    if row is not None:
        row.document = document
    else:
        # A savepoint: should another run of the monitor have kept its own meanwhile,
        # that one stays (as valid as this) and the caller's transaction goes on.
        try:
            async with session.begin_nested():
                session.add(LocalFirstSeen(monitor_id=monitor_id, document=document))
        except IntegrityError:
            pass
    cache.changed = False
