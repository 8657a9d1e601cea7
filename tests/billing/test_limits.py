"""Every limit at the limit and one over, on a SaaS server (the free plan: 402
PlanLimitExceeded naming the limit) and on a self-hosted one (no limits at all)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.billing.plans import PLANS
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import Invite, Role
from tests.conftest import Personas, SignIn
from tests.factories import make_user
from tests.fakes.stripe_api import FakeStripe

FREE = PLANS["free"]
WEEKLY = {"kind": "weekly", "at": "09:00", "weekday": 0, "timezone": "UTC"}
DAILY = {"kind": "daily", "at": "09:00", "timezone": "UTC"}
CRON = {"kind": "cron", "cron": "0 9 * * 1", "timezone": "UTC"}


@pytest.fixture(params=["saas", "self_hosted"])
def billing_mode(request: pytest.FixtureRequest) -> str:
    mode: str = request.param
    return mode


@pytest.fixture
def settings_overrides(stripe_fake: FakeStripe, billing_mode: str) -> dict[str, object]:
    return {"billing_mode": billing_mode}


def _refused(response: httpx.Response, limit: str) -> None:
    assert response.status_code == 402, response.text
    body = response.json()
    assert body["limit"] == limit
    assert body["plan"] == "free"
    assert "upgrade to pro on the billing page" in body["detail"]
    assert "/orgs/acme/billing" in body["detail"]


def _over(response: httpx.Response, mode: str, limit: str, made: int = 201) -> None:
    if mode == "saas":
        _refused(response, limit)
    else:
        assert response.status_code == made, response.text


async def _monitor(client: httpx.AsyncClient, number: int, **fields: Any) -> httpx.Response:
    body = {"source": f"acme/app{number}", "schedule": WEEKLY, **fields}
    return await client.post("/api/orgs/acme/monitors", json=body)


async def test_monitors_at_the_limit_and_one_over(
    sign_in: SignIn, personas: Personas, billing_mode: str
) -> None:
    member = await sign_in(personas.member)
    assert FREE.monitors is not None
    for number in range(FREE.monitors):
        assert (await _monitor(member, number)).status_code == 201

    over = await _monitor(member, 99)

    _over(over, billing_mode, "monitors")
    if billing_mode == "saas":
        assert "3 active monitors" in over.json()["detail"]
        assert "pause or delete a monitor" in over.json()["detail"]
        # A paused monitor takes no slot, and resuming one needs a slot.
        paused = await _monitor(member, 100, paused=True)
        assert paused.status_code == 201
        resumed = await member.patch(
            f"/api/orgs/acme/monitors/{paused.json()['id']}", json={"paused": False}
        )
        _refused(resumed, "monitors")
        listed = (await member.get("/api/orgs/acme/monitors")).json()
        first = next(m for m in listed if m["source"] == "acme/app0")
        await member.patch(f"/api/orgs/acme/monitors/{first['id']}", json={"paused": True})
        resumed = await member.patch(
            f"/api/orgs/acme/monitors/{paused.json()['id']}", json={"paused": False}
        )
        assert resumed.status_code == 200, resumed.text


async def test_channels_at_the_limit_and_one_over(
    sign_in: SignIn, personas: Personas, billing_mode: str
) -> None:
    admin = await sign_in(personas.admin)
    assert FREE.channels is not None

    def channel(number: int) -> dict[str, object]:
        return {"kind": "email", "name": f"team {number}", "addresses": ["team@example.com"]}

    for number in range(FREE.channels):
        made = await admin.post("/api/orgs/acme/channels", json=channel(number))
        assert made.status_code == 201, made.text

    _over(await admin.post("/api/orgs/acme/channels", json=channel(99)), billing_mode, "channels")


async def test_members_and_invites_at_the_limit_and_one_over(
    sign_in: SignIn, session: AsyncSession, billing_mode: str
) -> None:
    founder = await make_user(session, "founder")
    await session.commit()
    owner = await sign_in(founder)
    assert (await owner.post("/api/orgs", json={"name": "Solo", "slug": "solo"})).status_code == 201
    assert FREE.members is not None
    invites = []
    for _ in range(FREE.members - 1):  # the founder is the first member
        made = await owner.post("/api/orgs/solo/invites", json={"role": "member"})
        assert made.status_code == 201, made.text
        invites.append(made.json()["token"])

    over = await owner.post("/api/orgs/solo/invites", json={"role": "member"})

    if billing_mode == "saas":
        assert over.status_code == 402, over.text
        assert over.json()["limit"] == "members"
        assert "1 members and 2 pending invites" in over.json()["detail"]
    else:
        assert over.status_code == 201
    # Accepting a counted invite is within the limit.
    for number, token in enumerate(invites):
        joiner = await make_user(session, f"joiner{number}")
        await session.commit()
        accepted = await (await sign_in(joiner)).post(f"/api/invites/{token}/accept")
        assert accepted.status_code == 200, accepted.text


async def test_accepting_an_invite_beyond_the_limit_is_refused(
    sign_in: SignIn, personas: Personas, session: AsyncSession, billing_mode: str
) -> None:
    """An invite made while the org was bigger (or on pro) cannot push it over."""
    token = new_token()
    session.add(
        Invite(
            org_id=personas.org.id,
            token_hash=hash_token(token),
            role=Role.MEMBER,
            invited_by_id=personas.owner.id,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    joiner = await make_user(session, "joiner")
    await session.commit()

    response = await (await sign_in(joiner)).post(f"/api/invites/{token}/accept")

    if billing_mode == "saas":
        assert response.status_code == 402, response.text
        assert response.json()["limit"] == "members"
        assert (await (await sign_in(joiner)).get("/api/orgs/acme")).status_code == 404
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("schedule", [DAILY, CRON], ids=["daily", "cron"])
async def test_a_schedule_more_frequent_than_weekly_needs_pro(
    sign_in: SignIn, personas: Personas, billing_mode: str, schedule: dict[str, object]
) -> None:
    member = await sign_in(personas.member)
    # At the limit: weekly (and manual) are free.
    weekly = await _monitor(member, 1)
    assert weekly.status_code == 201
    manual = await _monitor(member, 2, schedule={"kind": "manual"})
    assert manual.status_code == 201

    _over(await _monitor(member, 3, schedule=schedule), billing_mode, "schedule")
    changed = await member.patch(
        f"/api/orgs/acme/monitors/{weekly.json()['id']}", json={"schedule": schedule}
    )
    _over(changed, billing_mode, "schedule", made=200)


async def test_the_ai_writer_needs_pro(
    sign_in: SignIn, personas: Personas, billing_mode: str
) -> None:
    member = await sign_in(personas.member)
    builtin = await _monitor(member, 1, writer="builtin")
    assert builtin.status_code == 201

    _over(await _monitor(member, 2, writer="llm"), billing_mode, "ai_writer")
    changed = await member.patch(
        f"/api/orgs/acme/monitors/{builtin.json()['id']}", json={"writer": "llm"}
    )
    _over(changed, billing_mode, "ai_writer", made=200)


async def test_the_billing_page_shows_usage_against_each_limit(
    sign_in: SignIn, personas: Personas, billing_mode: str
) -> None:
    member = await sign_in(personas.member)
    await _monitor(member, 1)
    await _monitor(member, 2, paused=True)

    shown = (await member.get("/api/orgs/acme/billing")).json()

    usage = {item["name"]: (item["used"], item["limit"]) for item in shown["limits"]}
    if billing_mode == "saas":
        assert shown["plan"] == "free"
        assert usage == {"monitors": (1, 3), "channels": (0, 2), "members": (4, 3)}
        assert (shown["schedule"], shown["ai_writer"], shown["history_days"]) == (
            "weekly",
            False,
            30,
        )
        assert [p["name"] for p in shown["plans"]] == ["free", "pro"]
    else:
        assert shown["plan"] is None
        assert usage == {"monitors": (1, None), "channels": (0, None), "members": (4, None)}
        assert shown["plans"] == []
