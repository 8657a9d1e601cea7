"""A request's database session ends with the request, whether it succeeds or fails."""

from __future__ import annotations

import httpx
from fastapi import FastAPI


async def test_a_refused_request_gives_its_connection_back_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    pool = app.state.engine.pool
    response = await client.get("/api/orgs/acme", headers={"Authorization": "Bearer isk_nope"})
    assert response.status_code == 401
    # The key lookup used a connection; the refusal must roll back and return it, not
    # leave it checked out until the garbage collector finds it.
    assert pool.checkedout() == 0


async def test_a_successful_request_gives_its_connection_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/api/server")).status_code == 200
    assert (await client.get("/api/orgs")).status_code == 401
    assert app.state.engine.pool.checkedout() == 0
