"""GET /api/orgs/{org}/analytics: series computed by the database from stored digests,
checked against figures worked out by hand, on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.kit.time import utcnow
from tests.analytics.world import UNKNOWN_TO_GIT, add_digest, add_monitor, at, metrics
from tests.conftest import Personas, SignIn

URL = "/api/orgs/acme/analytics"


async def _series(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _values(body: dict[str, Any]) -> list[object]:
    return [point["value"] for point in body["points"]]


def _counts(body: dict[str, Any]) -> list[int]:
    return [point["digests"] for point in body["points"]]


def _starts(body: dict[str, Any]) -> list[str]:
    return [point["start"][:10] for point in body["points"]]


async def test_weekly_sums_per_org_and_per_monitor_with_empty_weeks_null(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    b = await add_monitor(session, personas.org, "B")
    for since, merged in (("2026-10-05", 3), ("2026-10-12", 4), ("2026-10-19", 0)):
        await add_digest(session, a, at(since), prs_merged=merged)
    for since, merged in (("2026-10-05", 2), ("2026-10-19", 5)):
        await add_digest(session, b, at(since), prs_merged=merged)
    # Another org's digest in the same week, and a deleted monitor's: neither counts.
    foreign = await add_monitor(session, personas.other_org, "Foreign")
    await add_digest(session, foreign, at("2026-10-05"), prs_merged=100)
    gone = await add_monitor(session, personas.org, "Gone", deleted_at=utcnow())
    await add_digest(session, gone, at("2026-10-05"), prs_merged=100)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    org = await _series(viewer, metric="prs_merged", since="2026-10-05", until="2026-11-02")
    assert _starts(org) == ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]
    assert _values(org) == [5, 4, 5, None]  # the last week has no digest: null, not 0
    assert _counts(org) == [2, 1, 2, 0]
    assert org["aggregation"] == "sum"
    assert org["bucket"] == "week"
    assert org["monitor_id"] is None
    assert org["points"][0]["end"][:10] == "2026-10-12"

    one = await _series(
        viewer, metric="prs_merged", since="2026-10-05", until="2026-11-02", monitor_id=str(a.id)
    )
    assert _values(one) == [3, 4, 0, None]  # a week of 0 merged is 0, not null
    assert one["monitor_id"] == str(a.id)


async def test_the_range_is_widened_to_whole_buckets(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    await add_digest(session, a, at("2026-10-05"), commits=7)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    # A Wednesday to a Tuesday: from that Monday to the Monday after the Tuesday.
    body = await _series(viewer, metric="commits", since="2026-10-07", until="2026-10-20T09:00Z")
    assert body["since"].startswith("2026-10-05T00:00:00")
    assert body["until"].startswith("2026-10-26T00:00:00")
    assert _values(body) == [7, None, None]


async def test_by_default_the_last_twelve_buckets_up_to_now(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    await add_digest(session, a, utcnow() - timedelta(days=7), prs_opened=4)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    weekly = await _series(viewer, metric="prs_opened")
    assert len(weekly["points"]) == 12
    assert weekly["points"][-1]["end"] > utcnow().isoformat() >= weekly["points"][-1]["start"]
    assert [value for value in _values(weekly) if value is not None] == [4]
    monthly = await _series(viewer, metric="prs_opened", bucket="month")
    assert len(monthly["points"]) == 12
    assert all(point["start"][8:10] == "01" for point in monthly["points"])


async def test_week_and_month_boundaries_are_utc(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    # A digest counts in the bucket its period starts in, to the second, in UTC.
    await add_digest(session, a, at("2026-10-11T23:59:59"), days=1, commits=1)  # a Sunday
    await add_digest(session, a, at("2026-10-12T00:00:00"), days=1, commits=10)  # Monday
    await add_digest(session, a, at("2026-09-30T23:30:00"), days=0.5, commits=100)
    await add_digest(session, a, at("2026-10-01T00:00:00"), days=0.5, commits=1000)
    # A week starting in September and ending in October is September's.
    await add_digest(session, a, at("2026-09-21T00:00:00"), commits=10000)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    weekly = await _series(viewer, metric="commits", since="2026-09-28", until="2026-10-19")
    assert _starts(weekly) == ["2026-09-28", "2026-10-05", "2026-10-12"]
    assert _values(weekly) == [1100, 1, 10]
    monthly = await _series(
        viewer, metric="commits", bucket="month", since="2026-09-01", until="2026-11-01"
    )
    assert _starts(monthly) == ["2026-09-01", "2026-10-01"]
    assert _values(monthly) == [10100, 1011]
    assert monthly["points"][1]["end"][:10] == "2026-11-01"


async def test_medians_are_weighted_medians_of_the_digests_never_sums_or_means(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    # Week of 10-05: medians 1 h over 10 merged PRs, 2 h over 1, 100 h over 1. The
    # weighted median is 1; a sum would say 103, a mean 34.33, a mean weighted by the
    # counts 9.33, and the median of the three medians 2.
    for day, (hours, p90, merged, review) in enumerate(
        ((1.0, 2.0, 10, 3.0), (2.0, 3.0, 1, 5.0), (100.0, 200.0, 1, 50.0))
    ):
        since = at("2026-10-05") + timedelta(days=day)
        await add_digest(
            session, a, since, days=1, merge=hours, merge_p90=p90, prs_merged=merged, review=review
        )
    # Week of 10-12: equal weights, an even count: the mean of the middle two, 7.
    await add_digest(session, a, at("2026-10-12"), days=1, merge=4.0, prs_merged=2)
    await add_digest(session, a, at("2026-10-13"), days=1, merge=10.0, prs_merged=2)
    # A digest without merged PRs has no median, and is not a zero.
    await add_digest(session, a, at("2026-10-14"), days=1, prs_merged=0)
    await session.commit()
    viewer = await sign_in(personas.viewer)
    weeks = {"since": "2026-10-05", "until": "2026-10-26"}

    merge = await _series(viewer, metric="time_to_merge_hours.median", **weeks)
    assert _values(merge) == [1.0, 7.0, None]
    assert _counts(merge) == [3, 2, 0]
    assert merge["aggregation"] == "weighted_median_of_digests"
    assert merge["weighted_by"] == "prs_merged"
    assert merge["unit"] == "hours"

    nineties = await _series(viewer, metric="time_to_merge_hours.p90", **weeks)
    assert _values(nineties)[0] == 2.0

    # Time to first review keeps no count in schema 1: each digest weighs one, and the
    # value is still a median (5), not the mean (19.33).
    reviews = await _series(viewer, metric="time_to_first_review_hours", **weeks)
    assert reviews["metric"] == "time_to_first_review_hours.median"
    assert reviews["aggregation"] == "median_of_digests"
    assert reviews["weighted_by"] is None
    assert _values(reviews) == [5.0, None, None]


async def test_states_at_a_periods_end_take_each_monitors_last_digest(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    b = await add_monitor(session, personas.org, "B")
    for since, still_open in (("2026-10-05", 5), ("2026-10-12", 6), ("2026-10-19", 7)):
        await add_digest(session, a, at(since), prs_open_at_end=still_open)
    await add_digest(session, b, at("2026-10-05"), prs_open_at_end=2)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    monthly = await _series(
        viewer, metric="prs_open_at_end", bucket="month", since="2026-10-01", until="2026-11-01"
    )
    # October ends with A's last digest (7) and B's (2): not 5 + 6 + 7 + 2.
    assert _values(monthly) == [9]
    assert _counts(monthly) == [2]
    assert monthly["aggregation"] == "sum_of_latest"
    weekly = await _series(viewer, metric="prs_open_at_end", since="2026-10-05", until="2026-10-26")
    assert _values(weekly) == [7, 6, 7]


async def test_a_digest_made_by_hand_over_a_scheduled_one_is_not_counted_twice(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    a = await add_monitor(session, personas.org, "A")
    await add_digest(session, a, at("2026-10-05"), prs_merged=3)
    # "Run now" on a Wednesday: its last 7 days overlap the scheduled week.
    await add_digest(session, a, at("2026-10-07T10:00"), trigger="manual", prs_merged=50)
    # Made by hand where no scheduled digest is: it counts.
    await add_digest(session, a, at("2026-10-19"), trigger="api", prs_merged=8)
    await session.commit()
    viewer = await sign_in(personas.viewer)

    body = await _series(viewer, metric="prs_merged", since="2026-10-05", until="2026-10-26")
    assert _values(body) == [3, None, 8]


async def test_unknown_figures_are_null_and_several_repositories_use_their_totals(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    local = await add_monitor(session, personas.org, "Local")
    await add_digest(session, local, at("2026-10-05"), commits=3, **UNKNOWN_TO_GIT)
    await add_digest(session, local, at("2026-10-12"), commits=1, **UNKNOWN_TO_GIT)
    github = await add_monitor(session, personas.org, "GitHub")
    await add_digest(session, github, at("2026-10-12"), prs_merged=0)
    many = await add_monitor(session, personas.org, "Many")
    # Totals at the top level; each repository's own figures beside them.
    await add_digest(
        session,
        many,
        at("2026-10-19"),
        prs_merged=5,
        repositories={"acme/x": metrics(prs_merged=2), "acme/y": metrics(prs_merged=3)},
    )
    await session.commit()
    viewer = await sign_in(personas.viewer)
    weeks = {"since": "2026-10-05", "until": "2026-10-26"}

    merged = await _series(viewer, metric="prs_merged", **weeks)
    # A git source cannot know merged PRs: alone it gives null, beside a 0 it gives 0.
    assert _values(merged) == [None, 0, 5]
    assert _counts(merged) == [0, 1, 1]
    commits = await _series(viewer, metric="commits", **weeks)
    assert _values(commits) == [3, 1, 0]


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"metric": "stars"}, "there is no metric 'stars'; use one of commits, authors"),
        ({"metric": "stars"}, "time_to_merge_hours.median"),
        ({"bucket": "day"}, "use week or month"),
        ({"since": "2026-10-10", "until": "2026-10-10"}, "since must come before until"),
        ({"since": "2026-11-01", "until": "2026-10-01"}, "since must come before until"),
        ({"since": "2020-01-01", "until": "2026-01-01"}, "at most 3 years"),
        ({"since": "last tuesday"}, "is not a date; use 2026-11-02"),
        ({"until": "2026-13-45"}, "is not a date"),
        ({"since": "1999-12-31"}, "must lie between 2000-01-01"),
        ({"until": "9999-01-01"}, "must lie between 2000-01-01"),
    ],
)
async def test_bad_requests_are_422_saying_what_to_fix(
    personas: Personas, sign_in: SignIn, params: dict[str, str], sentence: str
) -> None:
    viewer = await sign_in(personas.viewer)
    response = await viewer.get(URL, params=params)
    assert response.status_code == 422, response.text
    assert sentence in response.json()["detail"]


async def test_a_monitor_id_that_is_not_a_uuid_is_422(personas: Personas, sign_in: SignIn) -> None:
    viewer = await sign_in(personas.viewer)
    response = await viewer.get(URL, params={"monitor_id": "three"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+01:00",  # no UTC time exists for it
        "9999-12-31T23:59:59-23:59",
        "2026-02-30",
        "2026-01-01T25:00",
        "+002026-01-01",
        "2026-13-01T00:00",
        "1" * 40,
    ],
)
async def test_odd_moments_are_a_422_never_a_500(
    personas: Personas, sign_in: SignIn, moment: str
) -> None:
    viewer = await sign_in(personas.viewer)
    for name in ("since", "until"):
        response = await viewer.get(URL, params={name: moment})
        assert response.status_code == 422, (name, moment, response.text)
        assert response.json()["detail"].startswith(f"{name}: ")
