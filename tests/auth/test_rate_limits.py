from __future__ import annotations

import httpx
import pytest

from infrasync.auth.router import SIGN_IN_LIMIT
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
