"""`--since 7d --until 2026-11-09` as a `[since, until)` window in UTC.

The one place that says which windows a digest may cover: the API (`POST …/digests`, the
digest list's filters) and the CLI (`infrasync digest --since/--until`) both ask here, so a
window one of them accepts the other accepts too.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from infrasync.sources.model import Window

# A length is a count and a unit; the count is checked against MAX_WINDOW in whole seconds
# before any timedelta is made, so `99999999999d` is refused instead of overflowing.
_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
MAX_WINDOW = timedelta(days=366)

# Nothing a digest reads is older than this (git dates from 2005, GitHub from 2008), and
# keeping well clear of `datetime.min` means the previous window (up to MAX_WINDOW earlier)
# and every timezone conversion stay representable: `0001-01-01T00:00:00Z` is a mistake.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# A window may end a little after now: `--until` a local "tomorrow" is up to about 38 hours
# ahead of UTC (UTC+14). Anything later is a typo, and `9999-12-31` overflows on the way.
LATEST_AHEAD = timedelta(days=2)


def _latest(now: datetime) -> datetime:
    return now + LATEST_AHEAD


def check_moment(moment: datetime, name: str, now: datetime) -> datetime:
    """`moment` in UTC, when it lies between EARLIEST and a little after `now`; otherwise
    ValueError with a sentence naming the option or field (`name`: `--since`, `since`)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        in_utc = None
    latest = _latest(now)
    if in_utc is None or not EARLIEST <= in_utc <= latest:
        raise ValueError(f"{name} must lie between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d} (UTC)")
    return in_utc


def _moment(text: str, name: str, now: datetime) -> datetime:
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--{name} {text!r} is not a date: use 2026-11-01, 2026-11-01T09:00Z, or for "
            "--since a length such as 7d, 24h or 2w"
        ) from None
    return check_moment(moment, f"--{name}", now)


def _length(digits: str, unit: str, since: str) -> timedelta:
    too_long = ValueError("a digest covers at most a year: shorten --since")
    # A count of more than nine digits is over a year in any unit, and Python refuses to read
    # an int of thousands of digits: such a count is refused unread.
    if len(digits) > 9:
        raise too_long
    seconds = int(digits) * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise ValueError(f"--since {since!r} must be longer than nothing")
    if seconds > MAX_WINDOW.total_seconds():
        raise too_long
    return timedelta(seconds=seconds)


def parse_window(since: str, until: str | None, now: datetime) -> Window:
    """Raises ValueError with a sentence for the user, and nothing else, whatever the text."""
    end = _moment(until, "until", now) if until else now
    relative = _RELATIVE.match(since.strip().lower())
    if relative:
        start = end - _length(relative.group(1), relative.group(2), since)
        check_moment(start, "--since", now)
    else:
        start = _moment(since, "since", now)
    if start >= end:
        raise ValueError("--since must come before --until")
    if end - start > MAX_WINDOW:
        raise ValueError("a digest covers at most a year: shorten --since")
    return Window(since=start, until=end)


def previous_window(window: Window) -> Window:
    length = window.until - window.since
    return Window(since=window.since - length, until=window.since)
