"""Digest windows out of range are the user's mistake, said in one sentence: a 400 from the
API, exit 2 and one line from the CLI. Never an overflow, a 500 or a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from infrasync.digests.window import EARLIEST, parse_window
from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git
from tests.live_server import run_cli

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# (since, until, what the sentence says)
OUT_OF_RANGE = [
    ("99999999999d", None, "a digest covers at most a year"),
    ("9" * 5000 + "h", None, "a digest covers at most a year"),
    ("0001-01-01T00:00:00Z", None, "--since must lie between 2000-01-01 and"),
    ("0001-01-01T00:00:00+01:00", "2026-11-01", "--since must lie between 2000-01-01 and"),
    ("7d", "9999-12-31T23:59:59-14:00", "--until must lie between 2000-01-01 and"),
    ("7d", "9999-12-31", "--until must lie between 2000-01-01 and"),
    ("1999-12-25", "2000-01-01", "--since must lie between 2000-01-01 and"),
    ("2026-11-09", "2026-11-09", "--since must come before --until"),
]


@pytest.mark.parametrize(("since", "until", "complaint"), OUT_OF_RANGE)
def test_windows_out_of_range_are_a_sentence(since: str, until: str | None, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_window(since, until, NOW)


def test_a_window_may_end_a_little_after_now_and_start_at_the_earliest() -> None:
    # A local "tomorrow" in UTC+14 is about 38 hours ahead of UTC.
    window = parse_window("2026-11-25", "2026-12-02", NOW)
    assert window.until == datetime(2026, 12, 2, tzinfo=UTC)
    assert parse_window("2000-01-01", "2000-12-31", NOW).since == EARLIEST
    assert parse_window("366d", None, NOW).until == NOW


async def _github_monitor(http: httpx.AsyncClient) -> str:
    # No token: a window that passes the checks ends in a 409 at once, without the network.
    created = await http.post("/api/orgs/acme/monitors", json={"source": "acme/app"})
    assert created.status_code == 201, created.text
    monitor_id: str = created.json()["id"]
    return monitor_id


# The API's schema caps `since` at 40 characters: a longer one is a 422 before this.
FITS_THE_SCHEMA = [case for case in OUT_OF_RANGE if len(case[0]) <= 40]


@pytest.mark.parametrize(("since", "until", "complaint"), FITS_THE_SCHEMA)
async def test_running_a_monitor_for_a_window_out_of_range_is_400(
    sign_in: SignIn, personas: Personas, since: str, until: str | None, complaint: str
) -> None:
    member = await sign_in(personas.member)
    monitor_id = await _github_monitor(member)
    body = {"since": since, **({"until": until} if until else {})}
    response = await member.post(
        f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true", json=body
    )
    assert response.status_code == 400, response.text
    assert complaint in response.json()["detail"]
    assert response.json()["detail"].endswith(".")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:00+01:00"),
        ("until", "9999-12-31T23:59:59-14:00"),
        ("since", "1970-01-01T00:00:00Z"),
        ("until", "9999-12-31T00:00:00Z"),
    ],
)
async def test_digest_list_filters_out_of_range_are_400(
    sign_in: SignIn, personas: Personas, name: str, value: str
) -> None:
    viewer = await sign_in(personas.viewer)
    response = await viewer.get("/api/orgs/acme/digests", params={name: value})
    assert response.status_code == 400, response.text
    assert f"{name} must lie between 2000-01-01 and" in response.json()["detail"]


async def test_digest_list_filters_in_range_still_filter(
    sign_in: SignIn, personas: Personas
) -> None:
    viewer = await sign_in(personas.viewer)
    response = await viewer.get(
        "/api/orgs/acme/digests", params={"since": "2026-11-01", "until": "2026-11-08T00:00"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.fixture
def one_commit_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a")
    git(repo, "add", ".", when="2026-11-03T12:00:00Z")
    git(repo, "commit", "-q", "-m", "A", when="2026-11-03T12:00:00Z")
    return repo


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--since", "99999999999d"], "a digest covers at most a year"),
        (["--since", "0001-01-01T00:00:00Z"], "--since must lie between 2000-01-01 and"),
        (["--until", "9999-12-31T23:59:59-14:00"], "--until must lie between 2000-01-01 and"),
    ],
)
def test_the_cli_refuses_windows_out_of_range_in_one_line(
    one_commit_repo: Path, tmp_path: Path, arguments: list[str], complaint: str
) -> None:
    result = run_cli("digest", str(one_commit_repo), *arguments, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("infrasync: ")
    assert complaint in lines[0]
    assert result.stdout == ""
