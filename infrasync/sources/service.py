"""Naming a source (`owner/repo` or a local path) and whether a monitor may use it.

The command line (`infrasync digest SOURCE`) and monitors share `parse_source`; monitors
also call `ensure_monitor_source_allowed`, because a local path reads the server's disk
and only the operator may allow that (`INFRASYNC_ALLOW_LOCAL_SOURCES=true`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from infrasync.config import Settings
from infrasync.errors import BadRequest, Forbidden
from infrasync.github.activity import RepoRef

_GITHUB_URL = re.compile(r"^https?://[^/]+/([^/]+/[^/]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class GitHubSpec:
    repo: RepoRef

    def __str__(self) -> str:
        return self.repo.full_name


@dataclass(frozen=True)
class LocalSpec:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


SourceSpec = GitHubSpec | LocalSpec


def parse_source(text: str) -> SourceSpec:
    """`owner/repo` (or a GitHub URL, or `github:owner/repo`) names a GitHub repository;
    anything that reads as a path (`/srv/repo`, `./repo`, `~/repo`, `.`, `git:…`) a local
    one. Write `./owner/repo` for a local directory that looks like `owner/repo`.

    Raises ValueError with a sentence for the user.
    """
    value = text.strip()
    if not value:
        raise ValueError("no source given; write owner/repo or a path to a git repository")
    if value.startswith("github:"):
        return GitHubSpec(RepoRef.parse(value.removeprefix("github:")))
    if value.startswith(("git:", "file://")):
        return LocalSpec(Path(value.removeprefix("git:").removeprefix("file://")).expanduser())
    url = _GITHUB_URL.match(value)
    if url:
        return GitHubSpec(RepoRef.parse(url.group(1)))
    if _looks_like_path(value):
        return LocalSpec(Path(value).expanduser())
    try:
        return GitHubSpec(RepoRef.parse(value))
    except ValueError:
        raise ValueError(f"{text!r} is neither owner/repo nor a path to a git repository") from None


def _looks_like_path(value: str) -> bool:
    return (
        value in (".", "..")
        or value.startswith(("/", "./", "../", "~", "\\"))
        or value.count("/") > 1
        or (len(value) > 1 and value[1] == ":")  # C:\repo
    )


def local_sources_allowed(settings: Settings) -> bool:
    """Whether monitors may read local git repositories (the CLI always may)."""
    return settings.allow_local_sources


def ensure_monitor_source_allowed(settings: Settings, source: SourceSpec) -> None:
    """For monitors: refuses a local path unless the operator allowed local sources, and
    a relative path always (a server has no working directory a user could mean)."""
    if isinstance(source, GitHubSpec):
        return
    if not local_sources_allowed(settings):
        raise Forbidden(
            "Local git repositories are turned off on this server; the operator can allow "
            "them with INFRASYNC_ALLOW_LOCAL_SOURCES=true."
        )
    if not source.path.is_absolute():
        raise BadRequest(f"Give the local repository as an absolute path (got {source.path}).")
