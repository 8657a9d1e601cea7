"""Generated inputs for the routes that read times: digest windows (run a monitor now, the
digest list's filters) and pagination cursors (audit logs, digest list). Whatever comes,
the answer is a 4xx with a sentence or a success, never a 500. On SQLite and Postgres.

The examples lean towards the edges that broke before: lengths of any size, dates from
year 1 to 9999 with offsets up to ±14 hours (some have no UTC time), cursors that decode
to such dates, NUL characters, and plain junk. Derandomized, so a run is repeatable; the
number of examples is bounded so that the test stays fast.

Local source paths are not generated here: the local-source confinement tests own them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Personas, SignIn

FUZZ = settings(
    max_examples=100,
    deadline=None,  # tests never depend on how fast the machine is
    derandomize=True,
    database=None,  # no .hypothesis directory in the checkout
    # The app and database are made once per test and shared by its examples on purpose:
    # rows the examples leave behind are more input, not a leak between tests.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_OFFSETS = st.one_of(
    st.sampled_from([-14 * 60, 14 * 60, 0]),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
).map(lambda minutes: timezone(timedelta(minutes=minutes)))
# Every year may come, but most examples sit at the edges: the first and last hours a
# datetime can hold (where an offset has no UTC time), the bounds digests accept, and now.
_MOMENTS = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=15)).map(
        lambda after: datetime.min + after
    ),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=15)).map(
        lambda before: datetime.max - before
    ),
    st.datetimes(min_value=datetime(1999, 12, 30), max_value=datetime(2000, 1, 2)),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.datetimes(),
)
_ZONED = st.builds(lambda moment, zone: moment.replace(tzinfo=zone), _MOMENTS, _OFFSETS)
_ISO = st.one_of(
    _ZONED.map(datetime.isoformat),
    _MOMENTS.map(lambda moment: moment.isoformat() + "Z"),
    _MOMENTS.map(datetime.isoformat),
    _MOMENTS.map(lambda moment: moment.date().isoformat()),
)
_LENGTH = st.builds(
    lambda count, unit: f"{count}{unit}",
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.integers(min_value=10**5, max_value=10**12),
        st.integers(min_value=0),
    ),
    st.sampled_from(["h", "d", "w", "D", " d", "y", ""]),
)
_WINDOW_TEXT = st.one_of(_LENGTH, _ISO, _TEXT, st.just("\x00"))
# What a JSON body may hold where a window's text goes, the wrong types included.
_WINDOW_VALUE = st.one_of(_WINDOW_TEXT, st.none(), st.integers(), st.booleans())
# (since, until): a few days from any moment (the end in any offset), a length up to a date,
# or any two values.
_WINDOWS = st.one_of(
    st.builds(
        lambda start, days, zone: (
            start.isoformat(),
            (start + timedelta(days=days)).replace(tzinfo=zone).isoformat(),
        ),
        _ZONED.filter(lambda start: start.year < 9999),
        st.integers(min_value=1, max_value=30),
        _OFFSETS,
    ),
    st.tuples(_LENGTH, st.one_of(st.none(), _ISO)),
    st.tuples(_WINDOW_VALUE, _WINDOW_VALUE),
)


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


_ROW_IDS = st.one_of(st.uuids().map(str), _TEXT)
_CURSORS = st.one_of(
    # What a cursor holds, a time and an id, with the time at an edge half the time.
    st.builds(lambda moment, row: _encoded(f"{moment.isoformat()}|{row}"), _ZONED, _ROW_IDS),
    st.builds(lambda moment, row: _encoded(f"{moment}|{row}"), _ISO, _ROW_IDS),
    st.builds(lambda left, right: _encoded(f"{left}|{right}"), _TEXT, _TEXT),
    _TEXT.map(_encoded),
    _TEXT,
)


def _no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.url, response.text)
    if response.status_code >= 400:
        detail = response.json()["detail"]
        assert isinstance(detail, str), response.text
        assert detail.strip(), response.text


@dataclass(frozen=True)
class Caller:
    http: httpx.AsyncClient
    run: str  # where to run a monitor now


@pytest.fixture
async def caller(sign_in: SignIn, personas: Personas) -> Caller:
    """The org's owner, with one GitHub monitor without a token (a window that passes the
    checks is then a quick 409, without the network) and one audit row at least."""
    owner = await sign_in(personas.owner)
    created = await owner.post("/api/orgs/acme/monitors", json={"source": "acme/app"})
    assert created.status_code == 201, created.text
    return Caller(owner, f"/api/orgs/acme/monitors/{created.json()['id']}/digests?wait=true")


@FUZZ
@given(window=_WINDOWS, filters=st.tuples(_WINDOW_TEXT, _ISO))
async def test_digest_windows_never_make_a_500(
    caller: Caller, window: tuple[object, object], filters: tuple[str, str]
) -> None:
    since, until = window
    _no_server_error(await caller.http.post(caller.run, json={"since": since, "until": until}))
    listed = await caller.http.get(
        "/api/orgs/acme/digests", params={"since": filters[0], "until": filters[1]}
    )
    _no_server_error(listed)


@FUZZ
@given(cursor=_CURSORS, limit=st.integers(min_value=-1, max_value=300))
async def test_pagination_cursors_never_make_a_500(caller: Caller, cursor: str, limit: int) -> None:
    for path in ("/api/me/audit", "/api/orgs/acme/audit", "/api/orgs/acme/digests"):
        response = await caller.http.get(path, params={"cursor": cursor, "limit": limit})
        _no_server_error(response)
