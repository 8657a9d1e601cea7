"""Naming a source (`owner/repo` or a local path) and whether a monitor may use it.

The command line (`infrasync digest SOURCE`) and monitors share `parse_source`. A local
path reads the server's disk, so for monitors it must lead, once every symlink, `..` and
`/proc` link is followed, to a git repository inside a directory the operator named
(`INFRASYNC_LOCAL_SOURCE_ROOTS`), and so must everything git would read through it: a
`.git` file's `gitdir:`, a worktree's `commondir`, `objects/info/alternates`, and every
symlink in the git directory. This is checked when a monitor is made and again at every
run (`confine_local_source`), since the disk may change in between.

Every refusal has the same message, whatever the reason (no such path, outside the
roots, not a repository, unreadable, a name too long): an answer that differed would let
anyone who can add a monitor map the server's disk. The reason goes to the server's log.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from infrasync.config import Settings
from infrasync.errors import BadRequest, Forbidden
from infrasync.github.repo_ref import RepoRef
from infrasync.sources.local_git import LocalGitError

REFUSED = (
    "This server may not read a git repository at that path: give the absolute path of a "
    "git repository inside a directory the operator allows (INFRASYNC_LOCAL_SOURCE_ROOTS)."
)
TURNED_OFF = (
    "Local git repositories are turned off on this server; the operator can allow them "
    "inside chosen directories with INFRASYNC_LOCAL_SOURCE_ROOTS."
)
GIT_FAILED = "git could not read this repository; the server's log says why (git_failed)."
# What LocalGitSource itself refuses: the path's refusal, not git failing.
_REFUSALS = frozenset({"not_a_directory", "not_a_repository", "partial_clone"})
# git follows at most this many levels of alternates (objects/info/alternates).
_ALTERNATES_DEPTH = 5
# A gitfile, commondir or alternates file is a line or a few; a bigger one is not git's.
_SMALL_FILE = 64 * 1024

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
    # `~` is left as typed: the CLI expands it (LocalGitSource), and for a monitor it is
    # not an absolute path (no user of the web app has a home on the server's disk, and
    # expanding `~name` would tell which accounts the server has).
    if value.startswith(("git:", "file://")):
        return LocalSpec(Path(value.removeprefix("git:").removeprefix("file://")))
    url = _GITHUB_URL.match(value)
    if url:
        return GitHubSpec(RepoRef.parse(url.group(1)))
    if _looks_like_path(value):
        return LocalSpec(Path(value))
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
    return bool(settings.local_source_roots)


def ensure_monitor_source_allowed(settings: Settings, source: SourceSpec) -> None:
    """For a new monitor: refuses a local path unless it is a repository the operator's
    roots hold, and a relative path always (a server has no working directory a user
    could mean)."""
    if isinstance(source, GitHubSpec):
        return
    if not local_sources_allowed(settings):
        raise LocalSourcesOff
    if not source.path.is_absolute():
        raise BadRequest(f"Give the local repository as an absolute path (got {source.path}).")
    confine_local_source(settings, source.path)


def run_failure(error: LocalGitError) -> str:
    """What a monitor's users are told when git fails or refuses: a fixed sentence,
    never git's output nor the path (the server logs `error.code`)."""
    return REFUSED if error.code in _REFUSALS else GIT_FAILED


class LocalSourceRefused(BadRequest):
    """The one answer to a local path a monitor may not read, whatever the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSED)
        self.reason = reason  # for the server's log only


class LocalSourcesOff(Forbidden):
    def __init__(self) -> None:
        super().__init__(TURNED_OFF)


@dataclass(frozen=True)
class ConfinedRepository:
    """A repository found inside the operator's roots, every path fully resolved: git is
    pointed at exactly these, not at the path as typed."""

    path: Path  # the directory named (the repository itself when bare)
    git_dir: Path


def confine_local_source(settings: Settings, path: Path) -> ConfinedRepository:
    """The repository at `path`, if a monitor may read it; raises LocalSourcesOff or
    LocalSourceRefused. Blocking file-system work: a few stats and a walk of the git
    directory (not of the work tree)."""
    if not local_sources_allowed(settings):
        raise LocalSourcesOff
    try:
        roots = [Path(os.path.realpath(root)) for root in settings.local_source_roots]
        return _Confinement(roots).repository(path)
    except LocalSourceRefused as refused:
        _log_refusal(refused.reason, path)
        raise
    # Anything the disk answers (no such file, no permission, a name over 255 bytes, a
    # symlink loop, which pathlib raises as RuntimeError; a NUL byte is a ValueError) is
    # the same refusal.
    except (OSError, ValueError, RuntimeError) as error:
        _log_refusal(type(error).__name__, path)
        raise LocalSourceRefused(type(error).__name__) from None


def _log_refusal(reason: str, path: Path) -> None:
    # structlog is imported here, not at the top: `infrasync digest` of a local
    # repository imports this module, and structlog (with the rich it loads) would cost
    # it a tenth of a second; only a server confines a path.
    import structlog

    structlog.get_logger(__name__).info("local source refused", reason=reason, path=str(path))


class _Confinement:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots

    def repository(self, path: Path) -> ConfinedRepository:
        directory = self.inside(path.resolve(strict=True), "outside_roots")
        if not directory.is_dir():
            raise LocalSourceRefused("not_a_directory")
        git_dir = self.inside(self._git_dir(directory), "git_dir_outside_roots")
        common_dir = git_dir
        if (git_dir / "commondir").exists():  # a worktree: most of git lives in the main one
            common_dir = self._follow(git_dir, _read_small(git_dir / "commondir"), "commondir")
        objects = common_dir / "objects"
        is_repository = (
            (git_dir / "HEAD").is_file() and objects.is_dir() and (common_dir / "refs").is_dir()
        )
        if not is_repository:
            raise LocalSourceRefused("not_a_repository")
        object_dirs = self._alternates(objects, depth=0)
        self._links_stay_inside({git_dir, common_dir, *object_dirs})
        return ConfinedRepository(path=directory, git_dir=git_dir)

    def inside(self, resolved: Path, reason: str) -> Path:
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise LocalSourceRefused(reason)
        return resolved

    def _follow(self, base: Path, target: str, what: str) -> Path:
        """A path git reads from a file (relative to `base`), resolved and confined."""
        if not target or target.startswith('"'):  # empty, or C-quoted: not worth parsing
            raise LocalSourceRefused(f"bad_{what}")
        return self.inside((base / target).resolve(strict=True), f"{what}_outside_roots")

    def _git_dir(self, directory: Path) -> Path:
        dot_git = directory / ".git"
        try:
            mode = dot_git.lstat().st_mode
        except FileNotFoundError:
            return directory  # bare (or no repository: told apart by the caller)
        if not stat.S_ISREG(mode):
            return dot_git.resolve(strict=True)  # a directory, or a symlink to one
        # A gitfile (a worktree, a submodule, `git init --separate-git-dir`).
        text = _read_small(dot_git)
        if not text.startswith("gitdir: "):
            raise LocalSourceRefused("bad_gitfile")
        return self._follow(directory, text.removeprefix("gitdir: "), "gitfile")

    def _alternates(self, objects: Path, depth: int) -> list[Path]:
        """`objects` and every object directory it borrows from, each inside the roots."""
        found = [objects]
        listing = objects / "info" / "alternates"
        if not listing.exists():
            return found
        if depth >= _ALTERNATES_DEPTH:
            raise LocalSourceRefused("alternates_too_deep")
        for line in _read_small(listing).splitlines():
            if line.strip() and not line.startswith("#"):
                borrowed = self._follow(objects, line.strip(), "alternates")
                found.extend(self._alternates(borrowed, depth + 1))
        return found

    def _links_stay_inside(self, directories: Iterable[Path]) -> None:
        """Every symlink under these directories leads inside the roots (an `objects` or
        `refs` linked to another repository's would read it), and nothing is a FIFO or
        a device, which would leave git waiting forever."""
        pending, seen = list(directories), set()
        while pending:
            directory = pending.pop()
            if directory in seen:
                continue
            seen.add(directory)
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    elif entry.is_symlink():
                        target = self.inside(Path(entry.path).resolve(strict=True), "link")
                        if target.is_dir():
                            pending.append(target)
                        else:
                            _refuse_special(target.stat().st_mode)
                    elif not entry.is_file(follow_symlinks=False):
                        _refuse_special(entry.stat(follow_symlinks=False).st_mode)


def _refuse_special(mode: int) -> None:
    # A socket is let be (git's fsmonitor daemon keeps one there); opening one fails.
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise LocalSourceRefused("special_file")


def _read_small(path: Path) -> str:
    """A file git would read, read without following a symlink and without waiting on a
    FIFO (O_NONBLOCK; then only a regular file is read)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise LocalSourceRefused("not_a_file")
        content = file.read(_SMALL_FILE + 1)
    if len(content) > _SMALL_FILE:
        raise LocalSourceRefused("file_too_big")
    return content.decode("utf-8").strip()  # not UTF-8: a ValueError, refused
