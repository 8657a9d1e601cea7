"""Git histories built for tests and benches in one `git fast-import` stream (a thousand
commits in well under a second, where `git commit` would take a minute), and today's
first-time decision to hold the local source's against.

Built with the caller's own git; nothing here is the code under test.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infrasync.sources.local_git import disarmed_environment
from infrasync.sources.model import Window, person_key

Who = tuple[str, str]  # name, email ("" for none)


@dataclass(frozen=True)
class Planned:
    """One commit of a planned history, on top of the one before it."""

    author: Who
    committed: int  # unix time; the author date is the same
    merge_of: int | None = None  # index of an earlier commit, as a second parent


def build_history(path: Path, commits: Sequence[Planned], mailmap: str = "") -> None:
    """A non-bare repository on `main` holding `commits` in order (with a `.mailmap`
    checked out when one is given)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    lines: list[str] = []
    for number, planned in enumerate(commits):
        name, email = planned.author
        ident = f"{name} <{email}> {planned.committed} +0000"
        message = f"Change number {number}"
        lines += [
            "commit refs/heads/main",
            f"mark :{number + 1}",
            f"author {ident}",
            f"committer {ident}",
            f"data {len(message.encode())}",
            message,
        ]
        if planned.merge_of is not None:
            lines.append(f"merge :{planned.merge_of + 1}")
        content = f"change {number}"
        lines += [f"M 644 inline file{number % 50}.txt", f"data {len(content)}", content]
        if number == 0 and mailmap:
            lines += ["M 644 inline .mailmap", f"data {len(mailmap.encode())}", mailmap]
        lines.append("")
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input=("\n".join(lines) + "\n").encode(),
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    if commits:
        subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)


_UNIT, _RECORD = "\x1f", "\x1e"
_FORMAT = _UNIT.join(["%H", "%P", "%aN", "%aE", "%ct"]) + _RECORD


class ReferenceHistory:
    """The first-time decision as `local_git._History` made it before the candidate
    look-up: read HEAD's `git log` newest first until `skew_allowance` commits older than
    every window are read *and* every author in the windows has an earlier commit, so a
    single newcomer means the whole history."""

    def __init__(self, windows: Sequence[Window], skew_allowance: int) -> None:
        self.windows = windows
        self.skew_allowance = skew_allowance
        self.earliest = min(w.since for w in windows).timestamp()
        self.latest = max(w.until for w in windows).timestamp()
        # (sha, author key, committed, is merge) of the commits in some window.
        self.commits: list[tuple[str, str, float, bool]] = []
        self.first_seen: dict[str, float] = {}
        self.older_read = 0
        self.records_read = 0

    def take(self, record: list[str]) -> None:
        sha, parents, a_name, a_email, c_time = record
        self.records_read += 1
        committed, merge = int(c_time), len(parents.split()) >= 2
        key = person_key(None, a_name, a_email)
        if not merge:
            self.first_seen[key] = min(committed, self.first_seen.get(key, committed))
        if committed < self.earliest:
            self.older_read += 1
        elif committed < self.latest:
            self.commits.append((sha, key, committed, merge))

    def _in(self, window: Window) -> list[tuple[str, str, float, bool]]:
        since, until = window.since.timestamp(), window.until.timestamp()
        return [c for c in self.commits if since <= c[2] < until]

    def enough(self) -> bool:
        if self.older_read < self.skew_allowance:
            return False
        return all(
            self.first_seen[key] < window.since.timestamp()
            for window in self.windows
            for _, key, _, merge in self._in(window)
            if not merge
        )

    def first_time(self, window: Window, complete: bool) -> dict[str, bool | None]:
        since = window.since.timestamp()
        return {
            key: (False if self.first_seen[key] < since else (True if complete else None))
            for _, key, _, merge in self._in(window)
            if not merge
        }

    def shas(self, window: Window) -> set[str]:
        return {sha for sha, _, _, _ in self._in(window)}


def git_log_records(path: Path) -> list[list[str]]:
    """The whole of HEAD's `git log`, newest first, read as the local source reads it
    (mailmap from the repository only, nothing from the user's config)."""
    done = subprocess.run(
        ["git", "-C", str(path), "-c", "mailmap.file=", "log", f"--format={_FORMAT}", "HEAD"],
        env=disarmed_environment(),
        capture_output=True,
        check=True,
    )
    output = done.stdout.decode("utf-8", "replace")
    return [record.strip("\n").split(_UNIT) for record in output.split(_RECORD)[:-1]]


def reference_first_time(
    records: Sequence[list[str]],
    windows: Sequence[Window],
    complete: bool,
    skew_allowance: int,
) -> ReferenceHistory:
    """Today's walk over `records` (`git_log_records`), stopped where it stopped."""
    history = ReferenceHistory(windows, skew_allowance)
    for record in records:
        history.take(record)
        if history.enough():
            break
    return history
