"""`infrasync digest owner/repo` against a local fake GitHub, as a process: stdout holds the
digest and nothing else, so `| jq` works; logs go to stderr."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.github_world import recorded_world
from tests.fakes.http_server import serve_in_thread
from tests.live_server import run_cli

WINDOW = ["--since", "2017-12-21", "--until", "2017-12-30"]  # as recorded from GitHub


@pytest.fixture
def token() -> str:
    return "ghp_" + secrets.token_hex(18)


@pytest.fixture
def github_api(token: str) -> Iterator[str]:
    fake = FakeGitHubAPI(world=recorded_world())
    fake.add_token(token)
    with serve_in_thread(fake.app()) as base_url:
        yield base_url


@pytest.mark.parametrize("verbose", [False, True])
def test_a_github_digest_as_json_is_all_stdout_holds(
    tmp_path: Path, github_api: str, token: str, verbose: bool
) -> None:
    result = run_cli(
        "digest",
        "sigmavirus24/github3.py",
        *WINDOW,
        "--format",
        "json",
        *(["--verbose"] if verbose else []),
        cwd=tmp_path,
        INFRASYNC_GITHUB_TOKEN=token,
        INFRASYNC_GITHUB_API_URL=github_api,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing before or after the JSON
    assert document["repository"]["name"] == "sigmavirus24/github3.py"
    assert document["metrics"]["commits"] > 0
    # Debug lines (one per GitHub request) only when asked for, and then on stderr.
    assert ("github.request" in result.stderr) is verbose
    assert token not in result.stdout + result.stderr
