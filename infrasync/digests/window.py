"""`--since 7d --until 2026-11-09` as a `[since, until)` window in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from infrasync.sources.model import Window

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
MAX_WINDOW = timedelta(days=366)


def _moment(text: str, name: str) -> datetime:
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--{name} {text!r} is not a date: use 2026-11-01, 2026-11-01T09:00Z, or for "
            "--since a length such as 7d, 24h or 2w"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_window(since: str, until: str | None, now: datetime) -> Window:
    """Raises ValueError with a sentence for the user."""
    end = _moment(until, "until") if until else now
    relative = _RELATIVE.match(since.strip().lower())
    if relative:
        length = int(relative.group(1)) * _UNITS[relative.group(2)]
        if length <= timedelta(0):
            raise ValueError(f"--since {since!r} must be longer than nothing")
        start = end - length
    else:
        start = _moment(since, "since")
    if start >= end:
        raise ValueError("--since must come before --until")
    if end - start > MAX_WINDOW:
        raise ValueError("a digest covers at most a year: shorten --since")
    return Window(since=start, until=end)


def previous_window(window: Window) -> Window:
    length = window.until - window.since
    return Window(since=window.since - length, until=window.since)
