"""What this process knows about each token's GitHub budget, and the per-token gate that
every request passes: a bounded number in flight, and nobody sending while GitHub has
asked us to wait.

One ledger per process (`shared_ledger()`), shared by every client, because several
monitors may use the same token at once and GitHub counts them together. Tokens appear
only as their hash (see `token_label`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

DEFAULT_MAX_CONCURRENCY = 4
LABEL_LENGTH = 12


def token_label(token_hash: str) -> str:
    """The short, non-secret name of a token in metrics and logs."""
    return token_hash[:LABEL_LENGTH]


@dataclass(frozen=True)
class RateLimitSnapshot:
    """One response's figures for one resource (`core`, `graphql`, `search`, …)."""

    resource: str
    limit: int | None
    remaining: int | None
    used: int | None
    reset_at: datetime | None
    # Points this response cost: GraphQL's `rateLimit.cost`, 1 for a REST call.
    cost: int | None
    observed_at: datetime


@dataclass(frozen=True)
class ApiBudget:
    """A token's budget for one resource, as the Prometheus gauges show it."""

    token: str  # token_label
    resource: str
    limit: int | None
    remaining: int | None
    used: int | None
    resets_at: datetime | None
    last_cost: int | None
    points_spent: int  # by this process since it started
    requests: int
    observed_at: datetime  # of the response that said so


def snapshot_from_headers(
    headers: httpx.Headers, *, default_resource: str, cost: int | None, now: datetime
) -> RateLimitSnapshot | None:
    """Reads `x-ratelimit-*`; None when the response carries none (some 5xx do not)."""
    if "x-ratelimit-remaining" not in headers and "x-ratelimit-limit" not in headers:
        return None
    reset = _int(headers.get("x-ratelimit-reset"))
    return RateLimitSnapshot(
        resource=headers.get("x-ratelimit-resource") or default_resource,
        limit=_int(headers.get("x-ratelimit-limit")),
        remaining=_int(headers.get("x-ratelimit-remaining")),
        used=_int(headers.get("x-ratelimit-used")),
        reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        cost=cost,
        observed_at=now,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class _Totals:
    points: int = 0
    requests: int = 0


class RateLimitLedger:
    def __init__(self, max_concurrency: int = DEFAULT_MAX_CONCURRENCY) -> None:
        self.max_concurrency = max_concurrency
        self._latest: dict[tuple[str, str], RateLimitSnapshot] = {}
        self._totals: dict[tuple[str, str], _Totals] = {}
        self._paused_until: dict[str, datetime] = {}
        # asyncio primitives belong to one event loop; tests (and `asyncio.run` in the
        # CLI) start several, so each loop gets its own semaphores.
        self._slots: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    # Figures -------------------------------------------------------------------------

    def record(self, token_hash: str, snapshot: RateLimitSnapshot) -> None:
        """One response's figures (and what it cost)."""
        self._latest[(token_hash, snapshot.resource)] = snapshot
        totals = self._totals.setdefault((token_hash, snapshot.resource), _Totals())
        totals.requests += 1
        totals.points += snapshot.cost or 0

    def add_cost(self, token_hash: str, resource: str, cost: int | None) -> None:
        """A GraphQL response's cost, known only once its body is read."""
        if cost is None:
            return
        key = (token_hash, resource)
        if key in self._latest:
            self._latest[key] = replace(self._latest[key], cost=cost)
        self._totals.setdefault(key, _Totals()).points += cost

    def exhaust(self, token_hash: str, resource: str, reset_at: datetime, now: datetime) -> None:
        """GitHub said the primary budget is spent (a GraphQL RATE_LIMITED answer)."""
        previous = self._latest.get((token_hash, resource))
        self._latest[(token_hash, resource)] = RateLimitSnapshot(
            resource=resource,
            limit=previous.limit if previous else None,
            remaining=0,
            used=previous.used if previous else None,
            reset_at=reset_at,
            cost=None,
            observed_at=now,
        )

    def budget(self, token_hash: str | None = None) -> list[ApiBudget]:
        rows = []
        for (owner, resource), snap in sorted(self._latest.items()):
            if token_hash is not None and owner != token_hash:
                continue
            totals = self._totals.get((owner, resource), _Totals())
            rows.append(
                ApiBudget(
                    token=token_label(owner),
                    resource=resource,
                    limit=snap.limit,
                    remaining=snap.remaining,
                    used=snap.used,
                    resets_at=snap.reset_at,
                    last_cost=snap.cost,
                    points_spent=totals.points,
                    requests=totals.requests,
                    observed_at=snap.observed_at,
                )
            )
        return rows

    # The gate ------------------------------------------------------------------------

    def pause(self, token_hash: str, until: datetime) -> None:
        """Holds every request on this token until `until` (a secondary limit)."""
        current = self._paused_until.get(token_hash)
        if current is None or until > current:
            self._paused_until[token_hash] = until

    def is_paused(self, token_hash: str, now: datetime) -> bool:
        paused = self._paused_until.get(token_hash)
        return paused is not None and paused > now

    def blocked_until(self, token_hash: str, resource: str, now: datetime) -> datetime | None:
        """When a request on `resource` may go out, if not now."""
        candidates = []
        paused = self._paused_until.get(token_hash)
        if paused is not None and paused > now:
            candidates.append(paused)
        snap = self._latest.get((token_hash, resource))
        if (
            snap is not None
            and snap.remaining == 0
            and snap.reset_at is not None
            and snap.reset_at > now
        ):
            candidates.append(snap.reset_at)
        return max(candidates) if candidates else None

    @asynccontextmanager
    async def slot(self, token_hash: str) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        semaphores = self._slots.setdefault(loop, {})
        semaphore = semaphores.get(token_hash)
        if semaphore is None:
            semaphore = semaphores[token_hash] = asyncio.Semaphore(self.max_concurrency)
        async with semaphore:
            yield


_shared = RateLimitLedger()


def shared_ledger() -> RateLimitLedger:
    """This process's ledger (what `/metrics` and the API budget read)."""
    return _shared
