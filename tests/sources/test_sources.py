"""Naming sources, the operator's roots for local ones, and who counts as a bot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infrasync.config import SettingsError, load_settings
from infrasync.errors import BadRequest, Forbidden
from infrasync.github.activity import RepoRef
from infrasync.sources.bots import BotPolicy
from infrasync.sources.service import (
    GitHubSpec,
    LocalSpec,
    ensure_monitor_source_allowed,
    local_sources_allowed,
    parse_source,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("octo/hello", GitHubSpec(RepoRef("octo", "hello"))),
        ("github:octo/hello.js", GitHubSpec(RepoRef("octo", "hello.js"))),
        ("https://github.com/octo/hello.git", GitHubSpec(RepoRef("octo", "hello"))),
        ("https://ghe.example.com/octo/hello/", GitHubSpec(RepoRef("octo", "hello"))),
        ("/srv/git/app.git", LocalSpec(Path("/srv/git/app.git"))),
        ("./octo/hello", LocalSpec(Path("octo/hello"))),
        (".", LocalSpec(Path("."))),
        ("git:relative/dir", LocalSpec(Path("relative/dir"))),
        ("~/code/app", LocalSpec(Path("~/code/app"))),  # expanded by the CLI alone
        ("file:///srv/app", LocalSpec(Path("/srv/app"))),
    ],
)
def test_a_source_is_a_github_repository_or_a_path(text: str, expected: object) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize("text", ["", "octo", "octo/", "-octo/x", "octo/hel lo", "a/b c"])
def test_a_source_that_is_neither_says_so(text: str) -> None:
    with pytest.raises(ValueError, match="owner/repo"):
        parse_source(text)


def test_monitors_may_read_local_repositories_only_inside_the_operators_roots(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = load_settings()
    assert not local_sources_allowed(default)
    with pytest.raises(Forbidden, match="INFRASYNC_LOCAL_SOURCE_ROOTS"):
        ensure_monitor_source_allowed(default, parse_source("/srv/git/app"))
    ensure_monitor_source_allowed(default, parse_source("octo/hello"))  # GitHub always

    for name in ("code", "elsewhere"):
        (tmp_path / name / "app").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(tmp_path / name / "app")], check=True)
    monkeypatch.setenv("INFRASYNC_LOCAL_SOURCE_ROOTS", f"{tmp_path / 'code'}, /srv/git")
    allowed = load_settings()
    assert local_sources_allowed(allowed)
    ensure_monitor_source_allowed(allowed, parse_source(str(tmp_path / "code" / "app")))
    with pytest.raises(BadRequest, match="INFRASYNC_LOCAL_SOURCE_ROOTS"):
        ensure_monitor_source_allowed(allowed, parse_source(str(tmp_path / "elsewhere" / "app")))
    with pytest.raises(BadRequest, match="absolute path"):
        ensure_monitor_source_allowed(allowed, parse_source("./app"))
    # No one using the web app has a home on the server, and `~name` would tell which
    # accounts it has.
    with pytest.raises(BadRequest, match="absolute path"):
        ensure_monitor_source_allowed(allowed, parse_source("~root/app"))


def test_a_root_must_be_an_absolute_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRASYNC_LOCAL_SOURCE_ROOTS", "/srv/git,repos")
    with pytest.raises(SettingsError, match="'repos' is not an absolute path"):
        load_settings()


@pytest.mark.parametrize(
    ("identity", "is_bot"),
    [
        ({"login": "dependabot[bot]"}, True),
        ({"login": "dependabot"}, True),
        ({"login": "renovate"}, True),
        ({"login": "github-actions[bot]"}, True),
        ({"login": "someone", "account_type": "Bot"}, True),
        ({"name": "acme-release[bot]"}, True),
        ({"email": "49699333+dependabot[bot]@users.noreply.github.com"}, True),
        ({"login": "octocat"}, False),
        ({"name": "Robot Framework Fan", "email": "robot@example.com"}, False),
    ],
)
def test_bots_by_default(identity: dict[str, str], is_bot: bool) -> None:
    assert BotPolicy().is_bot(**identity) is is_bot


def test_a_monitor_can_name_its_own_bots() -> None:
    policy = BotPolicy.with_extra(["Deploy-Helper", "app/ci-runner", "ops@example.com"])
    assert policy.is_bot(login="deploy-helper")
    assert policy.is_bot(login="ci-runner[bot]")
    assert policy.is_bot(name="Someone", email="OPS@example.com")
    assert not policy.is_bot(login="octocat")
