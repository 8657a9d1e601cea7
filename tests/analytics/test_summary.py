"""GET /api/orgs/{org}/analytics/summary: the last days against the days before, what
needs attention now (stale pull requests, failing monitors, disabled channels)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from infrasync.models import Channel
from tests.analytics.world import (
    add_digest,
    add_monitor,
    items_of_repositories,
    items_with_stale,
    stale_pull,
)
from tests.conftest import Personas, SignIn

URL = "/api/orgs/acme/analytics/summary"


def _metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in body["metrics"] if m["metric"] == name)
    return found


async def test_this_week_against_the_last_across_the_org(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    now = utcnow()
    a = await add_monitor(session, personas.org, "A")
    b = await add_monitor(session, personas.org, "B")
    this_week, last_week = now - timedelta(days=7, hours=1), now - timedelta(days=14, hours=1)
    # Ended an hour ago: this week. Ended a week and an hour ago: the week before.
    await add_digest(session, a, this_week, prs_merged=10, merge=1.0, prs_open_at_end=4)
    await add_digest(session, b, this_week, prs_merged=1, merge=100.0, prs_open_at_end=3)
    await add_digest(session, a, last_week, prs_merged=2, merge=6.0, prs_open_at_end=9)
    # Older than both, and another org's: in neither.
    await add_digest(session, b, now - timedelta(days=40), prs_merged=50)
    foreign = await add_monitor(session, personas.other_org, "Foreign")
    await add_digest(session, foreign, this_week, prs_merged=500)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    response = await viewer.get(URL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["days"] == 7
    merged = _metric(body, "prs_merged")
    assert merged["current"] == {"value": 11, "digests": 2}
    assert merged["previous"] == {"value": 2, "digests": 1}
    merge = _metric(body, "time_to_merge_hours.median")
    # 10 PRs at 1 h and 1 at 100 h: 1 h, never 101 h (a sum) nor 50.5 h (a mean).
    assert merge["current"]["value"] == 1.0
    assert merge["aggregation"] == "weighted_median_of_digests"
    assert merge["previous"]["value"] == 6.0
    assert _metric(body, "prs_open_at_end")["current"]["value"] == 7
    assert _metric(body, "releases")["current"] == {"value": 0, "digests": 2}
    review = _metric(body, "time_to_first_review_hours.median")
    assert review["current"] == {"value": None, "digests": 0}

    month = (await viewer.get(URL, params={"days": 30})).json()
    assert _metric(month, "prs_merged")["current"]["value"] == 13
    assert _metric(month, "prs_merged")["previous"]["value"] == 50


async def test_what_needs_attention_now(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    now = utcnow()
    app = await add_monitor(session, personas.org, "App")
    many = await add_monitor(session, personas.org, "Many")
    old = now - timedelta(days=20)
    # App's older digest found #1 stale; its newest only #2: #1 is no longer waiting.
    await add_digest(
        session,
        app,
        now - timedelta(days=14),
        items=items_with_stale([stale_pull(1, old)]),
        prs_stale=1,
    )
    await add_digest(
        session,
        app,
        now - timedelta(days=7),
        items=items_with_stale([stale_pull(2, now - timedelta(days=9), "Fix the <b>login</b>")]),
        prs_stale=1,
    )
    # A digest across several repositories keeps each one's stale list in its part.
    await add_digest(
        session,
        many,
        now - timedelta(days=7),
        items=items_of_repositories(
            {"acme/x": [stale_pull(7, now - timedelta(days=12))], "acme/y": []}
        ),
        prs_stale=1,
    )
    # A paused monitor last seen a month ago says nothing of now.
    quiet = await add_monitor(session, personas.org, "Quiet")
    await add_digest(
        session, quiet, now - timedelta(days=40), items=items_with_stale([stale_pull(9, old)])
    )
    broken = await add_monitor(
        session,
        personas.org,
        "Broken",
        last_run_status="error",
        last_run_at=now - timedelta(hours=2),
        last_run_error="GitHub answered 404 for acme/broken",
    )
    await add_monitor(session, personas.org, "Fine", last_run_status="ok", last_run_at=now)
    await add_monitor(session, personas.org, "Deleted", last_run_status="error", deleted_at=now)
    dead = Channel(
        org_id=personas.org.id,
        kind="slack",
        name="#eng",
        disabled_at=now - timedelta(hours=1),
        disabled_reason="Slack says the webhook was removed",
    )
    alive = Channel(org_id=personas.org.id, kind="email", name="team", addresses=["a@x.test"])
    gone = Channel(
        org_id=personas.org.id, kind="slack", name="old", disabled_at=now, deleted_at=now
    )
    foreign = Channel(org_id=personas.other_org.id, kind="slack", name="theirs", disabled_at=now)
    session.add_all([dead, alive, gone, foreign])
    await session.commit()
    viewer = await sign_in(personas.viewer)

    body = (await viewer.get(URL)).json()
    stale = body["stale_pull_requests"]
    assert [(pull["monitor_name"], pull["repository"], pull["number"]) for pull in stale] == [
        ("Many", "acme/x", 7),  # the oldest first
        ("App", "acme/app", 2),
    ]
    assert stale[1]["title"] == "Fix the <b>login</b>"  # as stored: renderers escape
    assert stale[1]["url"] == "https://github.com/acme/app/pull/2"
    assert stale[1]["monitor_id"] == str(app.id)
    assert body["stale_total"] == 2
    assert [(m["id"], m["name"], m["last_run_error"]) for m in body["failing_monitors"]] == [
        (str(broken.id), "Broken", "GitHub answered 404 for acme/broken")
    ]
    assert [(c["id"], c["name"], c["kind"]) for c in body["disabled_channels"]] == [
        (str(dead.id), "#eng", "slack")
    ]
    assert body["disabled_channels"][0]["disabled_reason"] == "Slack says the webhook was removed"


async def test_an_empty_org_has_an_empty_summary(personas: Personas, sign_in: SignIn) -> None:
    viewer = await sign_in(personas.viewer)
    body = (await viewer.get(URL)).json()
    assert body["stale_pull_requests"] == []
    assert body["stale_total"] == 0
    assert body["failing_monitors"] == []
    assert body["disabled_channels"] == []
    assert all(m["current"] == {"value": None, "digests": 0} for m in body["metrics"])
    assert len(body["metrics"]) == 15


async def test_days_out_of_range_is_422(personas: Personas, sign_in: SignIn) -> None:
    viewer = await sign_in(personas.viewer)
    for days in ("0", "367", "seven"):
        response = await viewer.get(URL, params={"days": days})
        assert response.status_code == 422, days
