"""A monitor's schedule: when its digests fire and which window each one covers.

Pure: no I/O, and every time comes in as an argument (only `validate` reads the clock, for
the year from which it checks the zone's coming clock changes). All datetimes in and out
are timezone-aware UTC; the schedule's wall-clock times are read in its IANA zone.

Daily and weekly schedules are turned into the cron expression they mean, so one engine
(cronsim, with its Debian-cron DST rules) computes every kind:
- a fixed local time stays at that local time across DST (09:00 is 09:00 all year);
- a local time that does not exist (02:30 on spring-forward day) fires once, at the next
  valid minute (03:00);
- a local time that happens twice (01:30 on fall-back day in New York) fires once, the
  first time.
Cron expressions with a wildcard minute or hour (`0 * * * *`) run on real time instead:
an hourly cron fires every real hour, twice in the repeated hour and not in the skipped one.

A digest's window is the schedule's period: from the fire before to this fire.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo, available_timezones

from cronsim import CronSim, CronSimError

Kind = Literal["manual", "daily", "weekly", "cron"]
KINDS: Final[tuple[str, ...]] = get_args(Kind)

WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The shortest allowed time between two fires of a cron schedule: a digest every few
# minutes is noise for its readers and load on GitHub's API for us.
MIN_CRON_INTERVAL: Final = timedelta(minutes=15)

# After an outage only the latest due period is made, and only if its fire time is at most
# this long ago: a digest more than a week late is history, not news, and a week outlasts
# any outage we intend to ride out (a long weekend plus a public holiday). Earlier missed
# periods are always skipped (and reported as skipped), never sent one per missed tick.
# The latest due period ended less than one period ago, so this bound only bites schedules
# that fire less often than weekly (a monthly cron after a 10-day outage): their next
# digest then comes at its regular time rather than a stale one right before it.
# It is deliberately not "a week or the schedule's period, whichever is larger": that
# bound could never be exceeded, for the reason just given.
CATCH_UP_LIMIT: Final = timedelta(days=7)

_CRON_FIELDS: Final = "minute hour day-of-month month day-of-week"
_MAX_CRON_LENGTH: Final = 200
_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# Not zones a user means: the host's own zone under another name, and tzdata's
# "zone not set" placeholder.
_NOT_USER_ZONES: Final = frozenset({"localtime", "Factory"})

# The Gregorian calendar's dates fall on the same weekdays every 28 years between 1901 and
# 2099, and DST rules are stated as "the Nth/last weekday of a month", so 28 years show
# every way a cron's day fields can meet a month, a weekday, a leap day or a clock change.
_CALENDAR_CYCLE: Final = timedelta(days=28 * 365 + 7)
# A Monday, 1 January: the start of one such cycle. Used where only the calendar matters.
_CYCLE_START: Final = datetime(2001, 1, 1, tzinfo=UTC)
# previous_fire looks back in windows growing from one hour by this factor up to this far
# (cronsim itself gives up on expressions that do not fire within 50 years).
_LOOKBACK_GROWTH: Final = 4
_LOOKBACK_LIMIT: Final = timedelta(days=366 * 60)


@dataclass(frozen=True)
class Schedule:
    kind: Kind = "manual"
    timezone: str = "UTC"  # IANA name
    at: str | None = None  # "HH:MM" local, daily and weekly
    weekday: int | None = None  # weekly: 0 = Monday … 6 = Sunday
    cron: str | None = None  # 5-field cron, evaluated in `timezone`
    working_days: tuple[int, ...] | None = None  # daily only: e.g. (0, 1, 2, 3, 4) = Mon-Fri


class ScheduleError(ValueError):
    """A schedule that cannot run; `field` names the offending field, the message (one
    sentence, for a 422) says what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DuePlan:
    run: tuple[datetime, datetime] | None  # the one period to make now (latest due)
    skipped: tuple[datetime, datetime] | None  # span of the missed periods not made
    skipped_count: int
    next_run_at: datetime | None  # None: manual


# --- validation ------------------------------------------------------------------------

# Which fields each kind takes: required ones, and optional ones.
_REQUIRED: Final[dict[str, frozenset[str]]] = {
    "manual": frozenset(),
    "daily": frozenset({"at"}),
    "weekly": frozenset({"at", "weekday"}),
    "cron": frozenset({"cron"}),
}
_OPTIONAL: Final[dict[str, frozenset[str]]] = {"daily": frozenset({"working_days"})}
_APPLIES_TO: Final = {
    "at": "at (a local time of day) applies only to daily and weekly schedules",
    "weekday": "weekday applies only to weekly schedules",
    "cron": "cron applies only to cron schedules",
    "working_days": "working_days applies only to daily schedules",
}
_MISSING: Final = {
    "at": "at is required for a {kind} schedule: give the local time as HH:MM, e.g. 09:00.",
    "weekday": "weekday is required for a weekly schedule: 0 (Monday) to 6 (Sunday).",
    "cron": "cron is required for a cron schedule: give 5 fields (" + _CRON_FIELDS + ").",
}


def validate(schedule: Schedule) -> None:
    """Raise ScheduleError for the first thing wrong with `schedule`."""
    if schedule.kind not in KINDS:
        raise ScheduleError(
            "kind", f"kind must be manual, daily, weekly or cron, not {_shown(schedule.kind)}."
        )
    zone = _zone(schedule.timezone)
    _check_fields_for_kind(schedule)
    if schedule.at is not None:
        _parse_at(schedule.at)
    if schedule.weekday is not None:
        _check_day("weekday", schedule.weekday)
    if schedule.working_days is not None:
        _check_working_days(schedule.working_days)
    if schedule.cron is not None:
        _check_cron(schedule.cron, zone)


def _check_fields_for_kind(schedule: Schedule) -> None:
    kind = schedule.kind
    given = {
        name
        for name in ("at", "weekday", "cron", "working_days")
        if getattr(schedule, name) is not None
    }
    for name in sorted(_REQUIRED[kind] - given):
        raise ScheduleError(name, _MISSING[name].format(kind=kind))
    for name in sorted(given - _REQUIRED[kind] - _OPTIONAL.get(kind, frozenset())):
        raise ScheduleError(name, f"{_APPLIES_TO[name]}; leave it out of a {kind} schedule.")


def _parse_at(at: str | None) -> tuple[int, int]:
    match = _AT.fullmatch(at) if isinstance(at, str) else None
    if match is None:
        raise ScheduleError(
            "at", f"at must be a 24-hour time HH:MM such as 09:00, not {_shown(at)}."
        )
    return int(match[1]), int(match[2])


def _check_day(field: str, day: object) -> None:
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
        raise ScheduleError(field, f"{field} must be 0 (Monday) to 6 (Sunday), not {_shown(day)}.")


def _check_working_days(days: object) -> None:
    if not isinstance(days, tuple | list) or not days:
        raise ScheduleError(
            "working_days",
            "working_days needs at least one day, 0 (Monday) to 6 (Sunday); "
            "leave it out to run every day.",
        )
    for day in days:
        _check_day("working_days", day)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or name not in _zone_names():
        raise ScheduleError("timezone", _unknown_zone_message(name))
    return ZoneInfo(name)


def _unknown_zone_message(name: object) -> str:
    unknown = f"timezone {_shown(name)} is not a known time zone"
    if isinstance(name, str):
        by_lower = {zone.lower(): zone for zone in _zone_names()}
        close = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=0.8)
        if close:
            return f"{unknown}; did you mean {by_lower[close[0]]}?"
    return f"{unknown}; use an IANA name such as Europe/Berlin or America/New_York."


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_USER_ZONES)


def common_zones() -> list[str]:
    """Every IANA zone name a schedule accepts, sorted (for the web app's zone search)."""
    return sorted(_zone_names())


def _check_cron(expr: str, zone: ZoneInfo) -> None:
    if not isinstance(expr, str) or len(expr) > _MAX_CRON_LENGTH:
        raise ScheduleError("cron", f"cron must be 5 fields ({_CRON_FIELDS}), not {_shown(expr)}.")
    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleError(
            "cron",
            f"cron {_shown(expr)} has {_count(len(fields), 'field')}; "
            f"give exactly 5 ({_CRON_FIELDS}).",
        )
    try:
        next(CronSim(expr, _CYCLE_START))
    except CronSimError as error:
        problem = str(error).lower()
        raise ScheduleError(
            "cron", f"cron {_shown(expr)} is not valid ({problem}); fields: {_CRON_FIELDS}."
        ) from None
    except StopIteration:
        raise ScheduleError(
            "cron", f"cron {_shown(expr)} never fires; check its day and month fields."
        ) from None
    _check_cron_spacing(expr, zone)


def _check_cron_spacing(expr: str, zone: ZoneInfo) -> None:
    """Refuse a cron expression whose fires come closer than MIN_CRON_INTERVAL, ever.

    Sound without iterating over centuries: on a clock without DST the gaps are fixed by
    the expression (see _closest_wall_clock_fires); a clock change can only shorten a gap
    that spans it, and such a short gap lies within MIN_CRON_INTERVAL either side of the
    change, so it is found by walking the real fires around each change in the zone over one
    calendar cycle from this year (tzdata's rules beyond that are guesses anyway).
    """
    closest = _closest_wall_clock_fires(expr)
    if closest is not None:
        earlier, later = closest
        raise ScheduleError(
            "cron",
            f"cron {_shown(expr)} fires {_minutes(later - earlier)} apart "
            f"(at {earlier:%H:%M} and {later:%H:%M}); runs must be at least "
            f"{_minutes(MIN_CRON_INTERVAL)} apart.",
        )
    for change in _offset_changes(zone, datetime.now(UTC).year):
        fires = _fires(expr, zone, change - MIN_CRON_INTERVAL - timedelta(seconds=1))
        window = list(_until(fires, change + MIN_CRON_INTERVAL))
        for earlier, later in pairwise(window):
            if later - earlier < MIN_CRON_INTERVAL:
                local_day = change.astimezone(zone)
                raise ScheduleError(
                    "cron",
                    f"cron {_shown(expr)} fires {_minutes(later - earlier)} apart around the "
                    f"clock change on {local_day:%Y-%m-%d} in {zone.key}; runs must be at "
                    f"least {_minutes(MIN_CRON_INTERVAL)} apart.",
                )


def _closest_wall_clock_fires(expr: str) -> tuple[datetime, datetime] | None:
    """Two consecutive fires closer than MIN_CRON_INTERVAL on a clock without DST, if any.

    A cron's minute and hour fields do not depend on the day, so every day that fires at
    all fires at the same times of day: one such day gives every gap within a day. The only
    other gap is overnight, from a day's last fire to the next day's first, and it happens
    only if the day fields ever match two consecutive days (checked over a calendar cycle,
    which covers leap days, "L", "#n" and weekday/day-of-month combinations).
    """
    fires = CronSim(expr, _CYCLE_START - timedelta(seconds=1))
    first = next(fires)
    day = [first]
    for fire in fires:
        if fire.date() != first.date():
            break
        if fire - day[-1] < MIN_CRON_INTERVAL:
            return day[-1], fire
        day.append(fire)
    next_days_first = first + timedelta(days=1)
    if next_days_first - day[-1] < MIN_CRON_INTERVAL and _fires_on_consecutive_days(expr):
        return day[-1], next_days_first
    return None


def _fires_on_consecutive_days(expr: str) -> bool:
    day_fields = expr.split()[2:]
    days = CronSim(" ".join(["0", "0", *day_fields]), _CYCLE_START - timedelta(seconds=1))
    end = _CYCLE_START + _CALENDAR_CYCLE
    for earlier, later in pairwise(_until(days, end)):
        if later - earlier == timedelta(days=1):
            return True
    return False


@functools.cache
def _offset_changes(zone: ZoneInfo, first_year: int) -> tuple[datetime, ...]:
    """The instants (UTC) at which `zone`'s UTC offset changes, over one calendar cycle.

    Sampled once a day, then narrowed to the second: zones change their offset at most
    once a day.
    """
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    changes: list[datetime] = []
    day = timedelta(days=1)
    before = start
    while before < start + _CALENDAR_CYCLE:
        after = before + day
        if after.astimezone(zone).utcoffset() != before.astimezone(zone).utcoffset():
            changes.append(_first_instant_of_new_offset(zone, before, after))
        before = after
    return tuple(changes)


def _first_instant_of_new_offset(zone: ZoneInfo, old: datetime, new: datetime) -> datetime:
    old_offset = old.astimezone(zone).utcoffset()
    while new - old > timedelta(seconds=1):
        middle = old + (new - old) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == old_offset:
            old = middle
        else:
            new = middle
    return new


# --- fire times ------------------------------------------------------------------------


def _expression(schedule: Schedule) -> str | None:
    """The cron expression a schedule means; None for manual."""
    if schedule.kind == "manual":
        return None
    if schedule.kind == "cron":
        assert schedule.cron is not None
        return schedule.cron
    hour, minute = _parse_at(schedule.at)
    if schedule.kind == "weekly":
        assert schedule.weekday is not None
        days: tuple[int, ...] | None = (schedule.weekday,)
    else:
        days = schedule.working_days
    # cron counts weekdays from Sunday = 0; ours start at Monday = 0.
    day_of_week = "*" if days is None else ",".join(str((day + 1) % 7) for day in sorted(days))
    return f"{minute} {hour} * * {day_of_week}"


def _fires(expr: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Fire times (UTC) strictly after `after`, in order, none twice."""
    last = after
    for local in CronSim(expr, after.astimezone(zone)):
        fire = local.astimezone(UTC)
        # A fixed local time is walked on the wall clock: from the second pass through a
        # repeated hour it first meets that hour's first pass, which is already past.
        if fire > last:
            last = fire
            yield fire


def _until(fires: Iterator[datetime], end: datetime) -> Iterator[datetime]:
    for fire in fires:
        if fire > end:
            return
        yield fire


def _schedule_fires(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    _require_aware(after)
    expr = _expression(schedule)
    if expr is None:
        return iter(())
    return _fires(expr, _zone(schedule.timezone), after)


def next_fire(schedule: Schedule, after: datetime) -> datetime | None:
    """The first fire strictly after `after` (UTC); None for a manual schedule."""
    return next(_schedule_fires(schedule, after), None)


def previous_fire(schedule: Schedule, fire: datetime) -> datetime:
    """The last fire strictly before `fire`: the start of the period that ends at `fire`.

    Found by walking forward from ever earlier points, so it is always a time that
    next_fire would give (also around DST, where walking a cron backwards could differ).
    """
    _require_aware(fire)
    if _expression(schedule) is None:
        raise ScheduleError("kind", "A manual schedule has no fire times, so no period.")
    lookback = timedelta(hours=1)
    while lookback <= _LOOKBACK_LIMIT:
        latest = None
        for candidate in _schedule_fires(schedule, fire - lookback):
            if candidate >= fire:
                break
            latest = candidate
        if latest is not None:
            return latest
        lookback *= _LOOKBACK_GROWTH
    raise ScheduleError("cron", "The schedule did not fire in the 60 years before this time.")


def period_ending(schedule: Schedule, fire: datetime) -> tuple[datetime, datetime]:
    """The window a digest made at `fire` covers: (previous fire, fire)."""
    return previous_fire(schedule, fire), fire


def preview(schedule: Schedule, now: datetime, count: int = 3) -> list[datetime]:
    """The next `count` fire times after `now`; empty for a manual schedule."""
    fires = _schedule_fires(schedule, now)
    return [fire for fire, _ in zip(fires, range(count), strict=False)]


def plan_due(schedule: Schedule, next_run_at: datetime, now: datetime) -> DuePlan:
    """What to make now for a monitor whose stored next run is `next_run_at`.

    Every fire from `next_run_at` up to `now` is due. Only the latest is made (if it is
    within CATCH_UP_LIMIT of `now`); the earlier ones are skipped as one span. The new
    `next_run_at` is the first fire after `now`. A `next_run_at` that is not itself a fire
    (the schedule changed) counts from the first fire at or after it.
    """
    _require_aware(next_run_at)
    _require_aware(now)
    if _expression(schedule) is None:
        return DuePlan(run=None, skipped=None, skipped_count=0, next_run_at=None)
    if next_run_at > now:
        return DuePlan(run=None, skipped=None, skipped_count=0, next_run_at=next_run_at)
    fires = _schedule_fires(schedule, next_run_at - timedelta(microseconds=1))
    first = next(fires, None)
    if first is None or first > now:
        return DuePlan(run=None, skipped=None, skipped_count=0, next_run_at=first)
    due_count, before_latest, latest = 1, None, first
    upcoming = None
    for fire in fires:
        if fire > now:
            upcoming = fire
            break
        due_count, before_latest, latest = due_count + 1, latest, fire
    first_start = previous_fire(schedule, first)
    if now - latest > CATCH_UP_LIMIT:
        return DuePlan(
            run=None,
            skipped=(first_start, latest),
            skipped_count=due_count,
            next_run_at=upcoming,
        )
    latest_start = before_latest if before_latest is not None else first_start
    return DuePlan(
        run=(latest_start, latest),
        skipped=(first_start, latest_start) if due_count > 1 else None,
        skipped_count=due_count - 1,
        next_run_at=upcoming,
    )


# --- words -----------------------------------------------------------------------------


def describe(schedule: Schedule) -> str:
    """A short sentence such as "Weekly on Monday at 09:00 (Europe/Berlin)"."""
    zone = f"({schedule.timezone})"
    if schedule.kind == "manual":
        return "Manual only"
    if schedule.kind == "weekly" and schedule.weekday is not None:
        return f"Weekly on {WEEKDAYS[schedule.weekday]} at {schedule.at} {zone}"
    if schedule.kind == "daily":
        days = sorted(set(schedule.working_days or range(7)))
        if len(days) == 7:
            return f"Daily at {schedule.at} {zone}"
        return f"Every {_day_list(days)} at {schedule.at} {zone}"
    try:
        explained = CronSim(schedule.cron or "", _CYCLE_START).explain()
    except (CronSimError, ValueError, LookupError):
        explained = f"Cron {schedule.cron}"
    return f"{explained} {zone}"


def _day_list(days: list[int]) -> str:
    """Mon-Fri as "Monday-Friday" (an en dash); a run of three or more days is a range."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words: list[str] = []
    for run in runs:
        if len(run) >= 3:
            words.append(f"{WEEKDAYS[run[0]]}\N{EN DASH}{WEEKDAYS[run[-1]]}")
        else:
            words.extend(WEEKDAYS[day] for day in run)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _minutes(span: timedelta) -> str:
    return _count(int(span.total_seconds() // 60), "minute")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _shown(value: object) -> str:
    """A user's value quoted in an error message, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("schedule times must be timezone-aware (UTC)")
