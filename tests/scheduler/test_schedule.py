"""Schedule maths: fire times, windows and catch-up, across DST in three hemispheres' zones.

The clock is frozen by passing `now`/`after` explicitly. Expected instants are written in
UTC by hand (from each zone's 2026 offsets), so they do not lean on the code under test.
2026 clock changes: America/New_York Mar 8 and Nov 1; Europe/Berlin Mar 29 and Oct 25;
Australia/Sydney Oct 4 (forward) and Apr 5 (back).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infrasync.scheduler.schedule import (
    CATCH_UP_LIMIT,
    DuePlan,
    Schedule,
    ScheduleError,
    common_zones,
    describe,
    next_fire,
    period_ending,
    plan_due,
    preview,
    previous_fire,
    validate,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    fires: list[datetime] = []
    fire = next_fire(schedule, start)
    while fire is not None and fire <= end:
        fires.append(fire)
        fire = next_fire(schedule, fire)
    return fires


def local_times(fires: list[datetime], zone: str) -> list[str]:
    return [f"{fire.astimezone(ZoneInfo(zone)):%a %H:%M}" for fire in fires]


# --- fixed local times across DST --------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day_before", "day_of_change", "hours"),
    [
        ("America/New_York", utc(2026, 3, 7, 14), utc(2026, 3, 8, 13), 23),
        ("America/New_York", utc(2026, 10, 31, 13), utc(2026, 11, 1, 14), 25),
        ("Europe/Berlin", utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), 23),
        ("Europe/Berlin", utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), 25),
        ("Australia/Sydney", utc(2026, 10, 2, 23), utc(2026, 10, 3, 22), 23),
        ("Australia/Sydney", utc(2026, 4, 3, 22), utc(2026, 4, 4, 23), 25),
    ],
)
def test_a_0900_daily_digest_stays_at_0900_local_across_the_clock_change(
    zone: str, day_before: datetime, day_of_change: datetime, hours: int
) -> None:
    daily = Schedule("daily", zone, at="09:00")

    fires = fires_between(daily, day_before - 2 * DAY, day_of_change + 2 * DAY)

    assert day_before in fires
    assert day_of_change in fires
    assert {f"{fire.astimezone(ZoneInfo(zone)):%H:%M}" for fire in fires} == {"09:00"}
    assert len(fires) == 5
    assert period_ending(daily, day_of_change) == (day_before, day_of_change)
    assert day_of_change - day_before == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("zone", "at_three", "day_before", "day_after"),
    [
        ("America/New_York", utc(2026, 3, 8, 7), utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)),
        ("Europe/Berlin", utc(2026, 3, 29, 1), utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)),
        (
            "Australia/Sydney",
            utc(2026, 10, 3, 16),
            utc(2026, 10, 2, 16, 30),
            utc(2026, 10, 4, 15, 30),
        ),
    ],
)
def test_0230_on_spring_forward_day_runs_once_at_0300(
    zone: str, at_three: datetime, day_before: datetime, day_after: datetime
) -> None:
    schedule = Schedule("daily", zone, at="02:30")

    fires = fires_between(schedule, day_before - HOUR, day_after + HOUR)

    assert fires == [day_before, at_three, day_after]
    assert f"{at_three.astimezone(ZoneInfo(zone)):%H:%M}" == "03:00"
    # The digest made at 03:00 covers the day since the previous 02:30.
    assert period_ending(schedule, at_three) == (day_before, at_three)
    assert period_ending(schedule, day_after) == (at_three, day_after)


@pytest.mark.parametrize(
    ("zone", "at", "first_pass", "next_day"),
    [
        ("America/New_York", "01:30", utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
        ("Europe/Berlin", "02:30", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
        ("Australia/Sydney", "02:30", utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30)),
    ],
)
def test_a_time_that_happens_twice_on_fall_back_day_runs_once_the_first_time(
    zone: str, at: str, first_pass: datetime, next_day: datetime
) -> None:
    schedule = Schedule("daily", zone, at=at)
    second_pass = first_pass + HOUR  # the same wall time again, an hour later

    fires = fires_between(schedule, first_pass - DAY - HOUR, next_day)

    assert fires == [first_pass - DAY, first_pass, next_day]
    assert next_fire(schedule, first_pass) == next_day
    # A worker asking from inside the repeated hour does not get a second run.
    assert next_fire(schedule, second_pass - timedelta(minutes=1)) == next_day
    assert next_fire(schedule, second_pass) == next_day


@pytest.mark.parametrize(
    ("fire", "hours"),
    [
        (utc(2026, 3, 23, 8), 168),  # an ordinary week, CET
        (utc(2026, 3, 30, 7), 167),  # the week of the spring change
        (utc(2026, 4, 6, 7), 168),
        (utc(2026, 10, 26, 8), 169),  # the week of the autumn change
    ],
)
def test_weekly_windows_are_167_and_169_hours_in_the_dst_weeks(fire: datetime, hours: int) -> None:
    weekly = Schedule("weekly", "Europe/Berlin", at="09:00", weekday=0)

    start, end = period_ending(weekly, fire)

    assert end == fire
    assert end - start == timedelta(hours=hours)
    assert local_times([start, end], "Europe/Berlin") == ["Mon 09:00", "Mon 09:00"]
    assert next_fire(weekly, start) == fire


def test_working_days_fire_monday_to_friday_and_monday_covers_since_friday() -> None:
    workdays = Schedule("daily", "Europe/Berlin", at="09:00", working_days=(0, 1, 2, 3, 4))

    # Two weeks around the spring change (Sunday 29 March 2026).
    fires = fires_between(workdays, utc(2026, 3, 20, 12), utc(2026, 4, 3, 12))

    assert local_times(fires, "Europe/Berlin") == [
        "Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00",
        "Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00",
    ]  # fmt: skip
    windows = [end - start for start, end in (period_ending(workdays, fire) for fire in fires)]
    assert windows == [
        timedelta(hours=72), DAY, DAY, DAY, DAY,
        timedelta(hours=71), DAY, DAY, DAY, DAY,  # that weekend lost an hour
    ]  # fmt: skip


def test_an_hourly_cron_fires_every_real_hour_across_the_clock_changes() -> None:
    for zone, change in [
        ("America/New_York", utc(2026, 3, 8, 7)),
        ("America/New_York", utc(2026, 11, 1, 6)),
        ("Europe/Berlin", utc(2026, 3, 29, 1)),
        ("Europe/Berlin", utc(2026, 10, 25, 1)),
        ("Australia/Sydney", utc(2026, 10, 3, 16)),
        ("Australia/Sydney", utc(2026, 4, 4, 16)),
    ]:
        hourly = Schedule("cron", zone, cron="0 * * * *")

        fires = fires_between(hourly, change - 3 * HOUR, change + 3 * HOUR)

        assert fires == [change + n * HOUR for n in range(-2, 4)], zone
        for fire in fires:
            assert period_ending(hourly, fire) == (fire - HOUR, fire), (zone, fire)

    # In New York's repeated hour the clock shows 01:00 twice, and both are runs.
    autumn = fires_between(
        Schedule("cron", "America/New_York", cron="0 * * * *"),
        utc(2026, 11, 1, 4),
        utc(2026, 11, 1, 7),
    )
    assert local_times(autumn, "America/New_York") == ["Sun 01:00", "Sun 01:00", "Sun 02:00"]


# --- catch-up ----------------------------------------------------------------------------


def test_a_three_day_outage_of_a_daily_schedule_makes_one_digest_and_records_the_rest() -> None:
    daily = Schedule("daily", "America/New_York", at="09:00")
    # Due Friday 6 March 09:00 EST; the workers were down until Monday 11:00 EDT, over the
    # spring change: Friday's, Saturday's, Sunday's and Monday's periods are all due.
    plan = plan_due(daily, next_run_at=utc(2026, 3, 6, 14), now=utc(2026, 3, 9, 15))

    assert plan == DuePlan(
        run=(utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)),  # Sunday 09:00 EDT -> Monday 09:00
        skipped=(utc(2026, 3, 5, 14), utc(2026, 3, 8, 13)),  # Thursday 09:00 -> Sunday 09:00
        skipped_count=3,
        next_run_at=utc(2026, 3, 10, 13),
    )


def test_a_tick_on_time_makes_the_due_period_and_skips_nothing() -> None:
    daily = Schedule("daily", "Europe/Berlin", at="09:00")

    plan = plan_due(daily, next_run_at=utc(2026, 3, 29, 7), now=utc(2026, 3, 29, 7, 0, 5))

    assert plan == DuePlan(
        run=(utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)),
        skipped=None,
        skipped_count=0,
        next_run_at=utc(2026, 3, 30, 7),
    )


def test_a_period_older_than_the_catch_up_limit_is_skipped_and_the_next_run_is_ahead() -> None:
    monthly = Schedule("cron", "Australia/Sydney", cron="0 9 1 * *")
    due = utc(2026, 4, 30, 23)  # 1 May 09:00 AEST
    now = due + CATCH_UP_LIMIT + HOUR

    plan = plan_due(monthly, next_run_at=due, now=now)

    assert plan.run is None
    assert plan.skipped == (utc(2026, 3, 31, 22), due)  # 1 April 09:00 AEDT -> 1 May
    assert plan.skipped_count == 1
    assert plan.next_run_at == utc(2026, 5, 31, 23)
    assert plan.next_run_at > now
    # Within the limit the same period is still made.
    assert plan_due(monthly, due, due + CATCH_UP_LIMIT).run == (utc(2026, 3, 31, 22), due)


def test_a_month_long_outage_of_a_daily_schedule_makes_only_the_latest_day() -> None:
    daily = Schedule("daily", "UTC", at="06:00")

    plan = plan_due(daily, next_run_at=utc(2026, 1, 1, 6), now=utc(2026, 1, 31, 7))

    assert plan.run == (utc(2026, 1, 30, 6), utc(2026, 1, 31, 6))
    assert plan.skipped == (utc(2025, 12, 31, 6), utc(2026, 1, 30, 6))
    assert plan.skipped_count == 30
    assert plan.next_run_at == utc(2026, 2, 1, 6)


def test_nothing_is_due_before_the_next_run_and_manual_never_is() -> None:
    daily = Schedule("daily", "UTC", at="06:00")
    assert plan_due(daily, utc(2026, 1, 2, 6), utc(2026, 1, 2, 5)) == DuePlan(
        run=None, skipped=None, skipped_count=0, next_run_at=utc(2026, 1, 2, 6)
    )
    manual = Schedule()
    assert plan_due(manual, utc(2026, 1, 2, 6), utc(2026, 1, 9)) == DuePlan(None, None, 0, None)
    assert next_fire(manual, utc(2026, 1, 1)) is None
    assert preview(manual, utc(2026, 1, 1)) == []


def test_a_changed_schedule_counts_from_its_first_fire_at_or_after_the_stored_next_run() -> None:
    # Stored for the old schedule (10:00); the monitor now runs at 09:00.
    daily = Schedule("daily", "UTC", at="09:00")

    plan = plan_due(daily, next_run_at=utc(2026, 1, 5, 10), now=utc(2026, 1, 6, 9, 30))

    assert plan.run == (utc(2026, 1, 5, 9), utc(2026, 1, 6, 9))
    assert plan.skipped_count == 0


# --- preview and words -------------------------------------------------------------------


def test_preview_shows_the_next_three_runs_strictly_after_now() -> None:
    weekly = Schedule("weekly", "Europe/Berlin", at="09:00", weekday=0)

    assert preview(weekly, utc(2026, 3, 23, 8)) == [
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
        utc(2026, 4, 13, 7),
    ]


@pytest.mark.parametrize(
    ("schedule", "sentence"),
    [
        (Schedule(), "Manual only"),
        (Schedule("daily", "UTC", at="06:00"), "Daily at 06:00 (UTC)"),
        (
            Schedule("daily", "Europe/Berlin", at="09:00", working_days=(0, 1, 2, 3, 4)),
            "Every Monday\N{EN DASH}Friday at 09:00 (Europe/Berlin)",
        ),
        (
            Schedule("daily", "UTC", at="09:00", working_days=(4, 0, 2)),
            "Every Monday, Wednesday and Friday at 09:00 (UTC)",
        ),
        (
            Schedule("weekly", "Europe/Berlin", at="09:00", weekday=0),
            "Weekly on Monday at 09:00 (Europe/Berlin)",
        ),
        (
            Schedule("cron", "Asia/Tokyo", cron="0 * * * *"),
            "At the start of every hour (Asia/Tokyo)",
        ),
    ],
)
def test_describe_says_the_schedule_in_a_sentence(schedule: Schedule, sentence: str) -> None:
    assert describe(schedule) == sentence


def test_common_zones_lists_the_iana_zones_sorted() -> None:
    zones = common_zones()

    assert zones == sorted(zones)
    assert set(ZONES) <= set(zones)
    assert "UTC" in zones
    assert "localtime" not in zones
    assert "Factory" not in zones


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(Schedule("daily", "UTC", at="06:00"), datetime(2026, 1, 1))


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "field", "words"),
    [
        (Schedule("daily", "Mars/Olympus_Mons", at="09:00"), "timezone", "not a known time zone"),
        (Schedule("daily", "Europe/Berln", at="09:00"), "timezone", "did you mean Europe/Berlin?"),
        (Schedule("cron", "UTC", cron="61 * * * *"), "cron", "bad minute"),
        (Schedule("cron", "UTC", cron="0 9 * *"), "cron", "has 4 fields"),
        (Schedule("cron", "UTC", cron="0 0 9 * * *"), "cron", "has 6 fields"),
        (Schedule("cron", "UTC", cron="@daily"), "cron", "give exactly 5"),
        (Schedule("cron", "UTC", cron="0 0 30 2 *"), "cron", "bad day-of-month"),
        (Schedule("cron", "UTC"), "cron", "cron is required"),
        (Schedule("weekly", "UTC", at="09:00"), "weekday", "weekday is required"),
        (Schedule("weekly", "UTC", at="09:00", weekday=7), "weekday", "0 (Monday) to 6 (Sunday)"),
        (Schedule("daily", "UTC"), "at", "at is required"),
        (Schedule("daily", "UTC", at="9:00"), "at", "HH:MM"),
        (Schedule("daily", "UTC", at="24:00"), "at", "HH:MM"),
        (Schedule("weekly", "UTC", at="09:60", weekday=1), "at", "HH:MM"),
        (
            Schedule("weekly", "UTC", at="09:00", weekday=0, working_days=(0, 1)),
            "working_days",
            "applies only to daily schedules",
        ),
        (
            Schedule("cron", "UTC", cron="0 9 * * *", working_days=(0,)),
            "working_days",
            "applies only to daily schedules",
        ),
        (Schedule("daily", "UTC", at="09:00", working_days=()), "working_days", "at least one"),
        (Schedule("daily", "UTC", at="09:00", working_days=(0, 7)), "working_days", "0 (Monday)"),
        (
            Schedule("daily", "UTC", at="09:00", cron="0 9 * * *"),
            "cron",
            "applies only to cron schedules",
        ),
        (Schedule("cron", "UTC", at="09:00", cron="0 9 * * *"), "at", "daily and weekly"),
        (Schedule("manual", "UTC", weekday=1), "weekday", "applies only to weekly"),
        (Schedule("hourly", "UTC"), "kind", "manual, daily, weekly or cron"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_schedule_gets_a_sentence_naming_the_field(
    schedule: Schedule, field: str, words: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        validate(schedule)

    assert caught.value.field == field
    message = str(caught.value)
    assert field in message
    assert words in message
    assert message.endswith((".", "?"))


@pytest.mark.parametrize(
    ("expression", "zone", "gap"),
    [
        ("*/10 * * * *", "UTC", "10 minutes"),
        ("* * * * *", "UTC", "1 minute"),
        ("0,5 9 * * *", "UTC", "5 minutes"),
        ("0,55 * * * *", "UTC", "5 minutes"),  # 00:55 then 01:00
        ("5,55 0,23 * * *", "UTC", "10 minutes"),  # 23:55 then 00:05 the next day
        ("0,14 9 * * 1", "UTC", "14 minutes"),
        # Fine on the wall clock, but 01:55 EST is 10 real minutes before 03:05 EDT.
        ("5,55 1,3 * * *", "America/New_York", "10 minutes"),
        # Berlin's repeated hour is 02:00: 02:55 CEST is 10 minutes before 02:05 CET.
        ("5,55 */2 * * *", "Europe/Berlin", "10 minutes"),
        ("5,55 */2 * * *", "Australia/Sydney", "10 minutes"),
    ],
)
def test_a_cron_firing_more_often_than_every_15_minutes_is_refused(
    expression: str, zone: str, gap: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        validate(Schedule("cron", zone, cron=expression))

    assert caught.value.field == "cron"
    assert f"fires {gap} apart" in str(caught.value)
    assert "at least 15 minutes apart" in str(caught.value)


@pytest.mark.parametrize("zone", ["UTC", *ZONES])
@pytest.mark.parametrize(
    "expression",
    [
        "*/15 * * * *",
        "0,45 * * * *",
        "0 * * * *",
        "0 9 * * 1-5",
        "5,55 0,23 * * 1",  # never on two days running, so 23:55 is never followed by 00:05
        "0 9 29 2 *",
        "30 2 * * 0",  # Sunday 02:30: meets both clock changes in Europe and the US
    ],
)
def test_a_cron_at_least_15_minutes_apart_is_accepted(expression: str, zone: str) -> None:
    validate(Schedule("cron", zone, cron=expression))


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(),
        Schedule("manual", "Europe/Berlin"),
        Schedule("daily", "America/New_York", at="00:00"),
        Schedule("daily", "UTC", at="23:59", working_days=(5, 6)),
        Schedule("weekly", "Australia/Sydney", at="02:30", weekday=6),
        Schedule("cron", "UTC", cron="5,55 1,3 * * *"),  # no DST in UTC, so 70 minutes
    ],
)
def test_good_schedules_pass_validation(schedule: Schedule) -> None:
    validate(schedule)


def test_previous_fire_is_strictly_before_and_agrees_with_next_fire() -> None:
    for zone in ZONES:
        for schedule in [
            Schedule("daily", zone, at="02:30"),
            Schedule("cron", zone, cron="*/15 * * * *"),
            Schedule("cron", zone, cron="30 1,2 * * *"),
        ]:
            for fire in fires_between(schedule, utc(2026, 3, 7), utc(2026, 3, 9)) + fires_between(
                schedule, utc(2026, 10, 24), utc(2026, 10, 26)
            ):
                before = previous_fire(schedule, fire)
                assert before < fire
                assert next_fire(schedule, before) == fire, (schedule, fire)
