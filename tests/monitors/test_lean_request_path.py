"""The monitors list, the app's busiest read, is two SQL statements whether the caller
signs in or sends an API key: one authenticates and resolves the org with the caller's
membership, one reads the monitors with their tokens, channels, last digest, its
deliveries and last run. And the one statement still ends access with membership."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import ApiKey, Membership, monitor_channels
from infrasync.models.membership import Role
from tests.compliance import world
from tests.conftest import Personas, SignIn
from tests.statements import statements_run

ROUTE = "/api/orgs/acme/monitors"
MOST_STATEMENTS = 2


async def _api_key(session: AsyncSession, personas: Personas, role: Role = Role.VIEWER) -> str:
    token = new_token("isk_")
    session.add(
        ApiKey(
            org_id=personas.org.id,
            name="dashboard",
            role=role,
            token_hash=hash_token(token),
            hint=token[:8],
            created_by_id=personas.member.id,
        )
    )
    await session.commit()
    return token


async def _busy_org(session: AsyncSession, personas: Personas) -> dict[str, str]:
    """Two monitors: `app` with two digests, two runs, a live channel with a delivery of
    the newest digest and a deleted one; `quiet` with nothing yet. Returns their ids."""
    org, member = personas.org, personas.member
    app_monitor = await world.monitor(session, org, member, "app")
    quiet = await world.monitor(session, org, member, "quiet")
    await world.digest(session, org, app_monitor, member, days_ago=14)
    newest = await world.digest(session, org, app_monitor, member, days_ago=7)
    await world.queued_run(session, org, app_monitor, member)
    await session.flush()
    last_run = await world.queued_run(session, org, app_monitor, member)
    last_run.created_at = utcnow() + timedelta(seconds=1)
    live = await world.email_channel(session, org, ["team@example.test"], "Team mail")
    gone = await world.email_channel(session, org, ["old@example.test"], "Old list")
    gone.deleted_at = utcnow()
    for channel in (live, gone):
        await session.execute(
            monitor_channels.insert().values(monitor_id=app_monitor.id, channel_id=channel.id)
        )
    delivery = await world.pending_delivery(session, org, newest, live)
    await session.commit()
    return {
        "app": str(app_monitor.id),
        "quiet": str(quiet.id),
        "digest": str(newest.id),
        "run": str(last_run.id),
        "channel": str(live.id),
        "delivery": str(delivery.id),
    }


def _assert_shows(listed: list[dict[str, Any]], ids: dict[str, str]) -> None:
    by_name = {monitor["name"]: monitor for monitor in listed}
    assert [m["id"] for m in listed] == [ids["app"], ids["quiet"]]
    app = by_name["app"]
    assert [c["id"] for c in app["channels"]] == [ids["channel"]]  # not the deleted one
    assert app["channels"][0]["last_delivery"]["id"] == ids["delivery"]
    assert app["last_digest"]["id"] == ids["digest"]
    assert app["last_run"]["id"] == ids["run"]
    quiet = by_name["quiet"]
    assert (quiet["channels"], quiet["last_digest"], quiet["last_run"]) == ([], None, None)


async def _counted(app: FastAPI, http: httpx.AsyncClient, **headers: str) -> int:
    await http.get(ROUTE, headers=headers)  # a key's first use is written down (each minute)
    with statements_run(app) as statements:
        response = await http.get(ROUTE, headers=headers)
    assert response.status_code == 200, response.text
    return len(statements)


async def test_the_monitors_list_takes_two_statements_signed_in_or_with_a_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
) -> None:
    ids = await _busy_org(session, personas)
    key = await _api_key(session, personas)
    viewer = await sign_in(personas.viewer)

    signed_in = await _counted(app, viewer)
    by_key = await _counted(app, client, Authorization=f"Bearer {key}")

    assert (signed_in, by_key) == (MOST_STATEMENTS, MOST_STATEMENTS)
    _assert_shows((await viewer.get(ROUTE)).json(), ids)
    _assert_shows((await client.get(ROUTE, headers={"Authorization": f"Bearer {key}"})).json(), ids)


async def test_access_still_ends_with_membership_on_the_one_statement_path(
    client: httpx.AsyncClient, sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    key = await _api_key(session, personas)
    member = await sign_in(personas.member)
    outsider = await sign_in(personas.outsider)
    assert (await member.get(ROUTE)).status_code == 200
    assert (await outsider.get(ROUTE)).status_code == 404  # another org's: not found
    assert (await member.get("/api/orgs/globex/monitors")).status_code == 404

    await session.execute(
        delete(Membership).where(
            Membership.org_id == personas.org.id, Membership.user_id == personas.member.id
        )
    )
    await session.commit()

    assert (await member.get(ROUTE)).status_code == 404
    # The member made the key: it dies with their membership.
    by_key = await client.get(ROUTE, headers={"Authorization": f"Bearer {key}"})
    assert by_key.status_code == 401


async def test_on_postgres_the_list_sends_no_begin_or_commit(
    backend: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    personas: Personas,
    session: AsyncSession,
    tmp_path: Path,
) -> None:
    """The list only reads: its statements go without a transaction around them (two
    round trips fewer); the key's last use, its one write, is still kept."""
    if backend != "postgres":
        pytest.skip("SQLite opens no transaction for a read in the first place")
    key = await _api_key(session, personas)
    await app.state.engine.dispose()  # so the request's connection is a new, traced one
    trace = (tmp_path / "protocol.txt").open("w")

    def trace_protocol(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.pgconn.trace(trace.fileno())

    event.listen(app.state.engine.sync_engine, "connect", trace_protocol)
    response = await client.get(ROUTE, headers={"Authorization": f"Bearer {key}"})
    trace.close()
    assert response.status_code == 200

    sent = (tmp_path / "protocol.txt").read_text()
    assert '"BEGIN"' not in sent
    assert '"COMMIT"' not in sent
    assert "UPDATE api_keys" in sent  # the first use, written down
    used = await session.scalar(
        select(ApiKey.last_used_at).where(ApiKey.token_hash == hash_token(key))
    )
    assert used is not None
