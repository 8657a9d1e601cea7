"""`infrasync digest` end to end, as a process, on git repositories built by the test
and on this project's own history."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.live_server import run_cli

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def git(
    repo: Path, *args: str, when: str | None = None, author: str = "Ada <ada@example.com>"
) -> str:
    environment = dict(os.environ)
    if when:
        environment.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    name, email = author.rstrip(">").split(" <")
    environment.update(
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=email,
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=email,
    )
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """Three commits in the window (one by a bot), one before it, and a tag in it."""
    repo = tmp_path / "small"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for number, (when, author) in enumerate(
        [
            ("2026-10-30T12:00:00Z", "Ada <ada@example.com>"),
            ("2026-11-03T12:00:00Z", "Ada <ada@example.com>"),
            ("2026-11-04T12:00:00Z", "Bob <bob@example.com>"),
            (
                "2026-11-05T12:00:00Z",
                "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
            ),
        ]
    ):
        (repo / f"file{number}.txt").write_text(str(number))
        git(repo, "add", ".", when=when, author=author)
        git(repo, "commit", "-q", "-m", f"Change <b>{number}</b>", when=when, author=author)
    git(repo, "tag", "v1.0", when="2026-11-05T13:00:00Z")
    return repo


def test_a_local_digest_in_markdown(small_repo: Path, tmp_path: Path) -> None:
    result = run_cli(
        "digest", str(small_repo), "--since", "2026-11-02", "--until", "2026-11-09", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("# small — Nov 2 to Nov 8, 2026")  # the folder, not the path
    assert "**3 commits (↑2 from 1), 1 release (↑1 from 0) and 2 contributors" in text
    assert "Change \\<b\\>2\\</b\\> by Bob" in text
    # The bot's commit is in its one line, by sha: no line of its own.
    assert re.search(r"^- 1 dependency update by dependabot: `[0-9a-f]{7}`$", text, re.M)
    assert "Change \\<b\\>3" not in text
    assert "- `v1.0` — Nov 5" in text


def test_a_local_digest_as_json(small_repo: Path, tmp_path: Path) -> None:
    result = run_cli(
        "digest",
        str(small_repo),
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-09",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {
        "repository",
        "period",
        "writer",
        "writer_note",
        "text",
        "metrics",
        "items",
        "grounding",
    }
    assert document["writer"] == "builtin"
    assert document["grounding"] is None  # no model was asked
    # The commit the digest was made from: the branch's head, whatever the window.
    assert document["repository"]["revision"] == git(small_repo, "rev-parse", "HEAD").strip()
    metrics = document["metrics"]
    assert metrics["schema"] == 1
    assert (metrics["commits"], metrics["authors"], metrics["releases"]) == (3, 2, 1)
    assert metrics["prs_opened"] is None  # unknowable for git, never 0
    assert metrics["previous"]["commits"] == 1  # Oct 26 to Nov 2: Ada's first commit
    assert document["period"] == {"since": "2026-11-02T00:00:00Z", "until": "2026-11-09T00:00:00Z"}


def test_a_local_digest_for_slack(small_repo: Path, tmp_path: Path) -> None:
    result = run_cli(
        "digest",
        str(small_repo),
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-09",
        "--format",
        "slack",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [message] = json.loads(result.stdout)
    assert message["blocks"][0]["type"] == "header"


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--since", "yesterday"], "--since 'yesterday' is not a date"),
        (["--since", "2026-11-09", "--until", "2026-11-02"], "--since must come before --until"),
        (["--format", "html"], "--format must be one of markdown, json, slack"),
        (["--writer", "gpt"], "--writer must be one of auto, builtin, llm"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    small_repo: Path, tmp_path: Path, arguments: list[str], complaint: str
) -> None:
    result = run_cli("digest", str(small_repo), *arguments, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"infrasync: {complaint}."] or (len(lines) == 1 and complaint in lines[0]), (
        result.stderr
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("/nonexistent/repo", "is not a directory"),
        ("not a repo name", "is neither owner/repo nor a path"),
        ("acme/app", "INFRASYNC_GITHUB_TOKEN"),
    ],
)
def test_bad_sources_are_one_line_and_exit_2(tmp_path: Path, source: str, complaint: str) -> None:
    result = run_cli("digest", source, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_a_directory_that_is_not_a_repository_exits_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli("digest", str(plain), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_commits_on_this_projects_history_match_git_rev_list(tmp_path: Path) -> None:
    if not (REPOSITORY_ROOT / ".git").exists():
        pytest.fail("this test runs in a git checkout of Infrasync")
    until = datetime.now(UTC).replace(microsecond=0)
    since = "2026-01-01T00:00:00Z"
    result = run_cli(
        "digest",
        str(REPOSITORY_ROOT),
        "--since",
        since,
        "--until",
        until.isoformat(),
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    reported = json.loads(result.stdout)["metrics"]["commits"]
    # A full walk filtered by committer date: `--since` alone stops early on clock skew.
    log = subprocess.run(
        ["git", "-C", str(REPOSITORY_ROOT), "log", "--no-merges", "--format=%ct"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    expected = sum(start <= int(stamp) < until.timestamp() for stamp in log)
    assert reported == expected
    assert expected > 0
