from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from infrasync.auth.rate_limit import Limit, hit
from infrasync.auth.router import SIGN_IN_LIMIT
from infrasync.errors import RateLimited
from infrasync.orgs.router import INVITE_ACCEPT_LIMIT
from tests.conftest import Personas, SignIn


@pytest.mark.parametrize(
    "path", ["/auth/github/login", "/auth/link/guess", "/auth/github/callback"]
)
async def test_sign_in_endpoints_are_rate_limited(client: httpx.AsyncClient, path: str) -> None:
    for _ in range(SIGN_IN_LIMIT.requests):
        assert (await client.get(path)).status_code == 302
    limited = await client.get(path)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= SIGN_IN_LIMIT.per_seconds
    assert "Too many attempts" in limited.json()["detail"]


async def test_failed_invite_guesses_use_up_the_allowance(
    sign_in: SignIn, personas: Personas
) -> None:
    guesser = await sign_in(personas.outsider)
    for number in range(INVITE_ACCEPT_LIMIT.requests):
        assert (await guesser.post(f"/api/invites/guess-{number}/accept")).status_code == 404
    limited = await guesser.post("/api/invites/guess-final/accept")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


# The sliding window, at moments chosen by the test (no waiting) ---------------------------

LIMIT = Limit("test", requests=10, per_seconds=60)
# A window boundary: a whole minute.
WINDOW_START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


async def _allowed(app: FastAPI, key: str, moment: datetime) -> bool:
    try:
        await hit(app.state.session_factory, LIMIT, key, now=moment)
    except RateLimited:
        return False
    return True


async def test_a_burst_across_a_window_boundary_is_still_limited(app: FastAPI) -> None:
    """All ten at the end of one window, then more at the start of the next: fixed
    windows would allow ten more at once; the sliding window counts the last minute."""
    end_of_first = WINDOW_START + timedelta(seconds=59)
    assert [await _allowed(app, "a", end_of_first) for _ in range(10)] == [True] * 10
    start_of_next = WINDOW_START + timedelta(seconds=60)
    assert await _allowed(app, "a", start_of_next) is False
    # Another client has an allowance of its own.
    assert await _allowed(app, "b", start_of_next) is True


async def test_the_previous_window_weighs_by_how_much_of_it_still_overlaps(
    app: FastAPI,
) -> None:
    for _ in range(10):
        assert await _allowed(app, "a", WINDOW_START + timedelta(seconds=59))
    # Halfway through the next window half of the ten still count: five more are allowed.
    halfway = WINDOW_START + timedelta(seconds=90)
    assert [await _allowed(app, "a", halfway) for _ in range(6)] == [True] * 5 + [False]
    # A whole window later the burst no longer counts (only the refused ones' minute).
    later = WINDOW_START + timedelta(seconds=180)
    assert [await _allowed(app, "a", later) for _ in range(10)] == [True] * 10


async def test_a_refusal_says_when_to_try_again(app: FastAPI) -> None:
    for _ in range(10):
        await _allowed(app, "a", WINDOW_START)
    with pytest.raises(RateLimited) as refused:
        await hit(app.state.session_factory, LIMIT, "a", now=WINDOW_START + timedelta(seconds=15))
    assert refused.value.headers == {"Retry-After": "45"}  # the end of this window
