"""A local git repository (bare or not) as a source of activity: commits on the default
branch, their authors, and tags as releases. Git knows nothing of pull requests or
issues, so those are `None` (unknown), never empty.

For offline use, GitHub Enterprise Server without API access, or any git host. It reads
the server's disk, so monitors may use it only when the operator allows it
(`INFRASYNC_ALLOW_LOCAL_SOURCES`); the CLI always may.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from infrasync.kit.time import utcnow
from infrasync.sources.bots import DEFAULT_POLICY, BotPolicy
from infrasync.sources.model import (
    Activity,
    Commit,
    Person,
    Release,
    SourceInfo,
    Tag,
    Window,
    contributors_in,
    parse_github_time,
)

_UNIT = "\x1f"
_RECORD = "\x1e"
# Mailmap-aware author (%aN %aE) and committer (%cN %cE): a person who committed under
# two spellings counts once, as `git shortlog` would count them.
_COMMIT_FORMAT = _UNIT.join(["%H", "%P", "%aN", "%aE", "%aI", "%cN", "%cE", "%cI", "%s"]) + _RECORD
_PEOPLE_FORMAT = _UNIT.join(["%aN", "%aE", "%ct"]) + _RECORD
_TAG_FORMAT = "%1f".join(
    [
        "%(refname:strip=2)",
        "%(objecttype)",
        "%(objectname)",
        "%(*objectname)",
        "%(taggerdate:iso-strict)",
        "%(committerdate:iso-strict)",
        "%(*committerdate:iso-strict)",
        "%(taggername)",
        "%(taggeremail:trim)",
    ]
)


class LocalGitError(Exception):
    """The path is not a git repository git can read; the message says why."""

    permanent = True


@dataclass(frozen=True)
class _Earlier:
    people: frozenset[str]  # Person.key of everyone with a non-merge commit before
    complete: bool  # False for a shallow clone: older history is missing


class LocalGitSource:
    def __init__(
        self, path: str | Path, bots: BotPolicy = DEFAULT_POLICY, *, git: str = "git"
    ) -> None:
        self.path = Path(path).expanduser()
        self.bots = bots
        self.git = git

    async def activity(self, window: Window) -> Activity:
        if not self.path.is_dir():
            raise LocalGitError(f"{self.path} is not a directory.")
        await self._run("rev-parse", "--git-dir")
        branch = (await self._run("symbolic-ref", "-q", "--short", "HEAD", check=False)).strip()
        has_commits = bool(
            (await self._run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)).strip()
        )
        commits = await self._commits(window) if has_commits else ()
        tags = await self._tags(window)
        earlier = await self._earlier(window) if has_commits else _Earlier(frozenset(), True)
        people = {c.author.key for c in commits}
        verdicts = {
            key: (False if key in earlier.people else (True if earlier.complete else None))
            for key in people
        }
        releases = tuple(
            Release(
                tag_name=tag.name,
                name=tag.name,
                created_at=tag.tagged_at,
                published_at=tag.tagged_at,
                from_tag=True,
            )
            for tag in tags
        )
        return Activity(
            source=SourceInfo(kind="git", name=str(self.path), default_branch=branch or None),
            window=window,
            fetched_at=utcnow(),
            commits=commits,
            pull_requests=None,
            issues=None,
            releases=releases,
            tags=tags,
            contributors=contributors_in(window, commits, None, None, verdicts),
        )

    async def _commits(self, window: Window) -> tuple[Commit, ...]:
        # `--since` stops walking at the first older commit; `--since-as-filter` (git
        # 2.37+) looks at every commit, so rebased history with out-of-order dates is
        # still counted right. Older git gets the fast approximation.
        since, until = _git_time(window.since), _git_time(window.until)
        args = ["log", f"--format={_COMMIT_FORMAT}", f"--until={until}", "HEAD"]
        output = await self._run(*args[:2], f"--since-as-filter={since}", *args[2:], check=False)
        if not output and await self._lacks_since_as_filter():
            output = await self._run(*args[:2], f"--since={since}", *args[2:])
        commits = [self._commit(record) for record in _records(output)]
        return tuple(c for c in commits if window.contains(c.committed_at))

    async def _lacks_since_as_filter(self) -> bool:
        version = await self._run("version")
        numbers = [int(part) for part in version.split()[-1].split(".")[:2] if part.isdigit()]
        return numbers < [2, 37]

    def _commit(self, record: list[str]) -> Commit:
        sha, parents, a_name, a_email, a_date, c_name, c_email, c_date, subject = record
        return Commit(
            sha=sha,
            message=subject,
            author=self._person(a_name, a_email),
            committer=self._person(c_name, c_email),
            authored_at=_time(a_date),
            committed_at=_time(c_date),
            parents=len(parents.split()),
        )

    def _person(self, name: str, email: str) -> Person:
        return Person(
            name=name or None,
            email=email or None,
            is_bot=self.bots.is_bot(name=name, email=email),
        )

    async def _earlier(self, window: Window) -> _Earlier:
        before = window.since - timedelta(seconds=1)
        output = await self._run(
            "log",
            "--no-merges",
            f"--format={_PEOPLE_FORMAT}",
            f"--until={_git_time(before)}",
            "HEAD",
        )
        cutoff = window.since.timestamp()
        keys = {
            self._person(name, email).key
            for name, email, stamp in _records(output)
            if int(stamp) < cutoff
        }
        shallow = (await self._run("rev-parse", "--is-shallow-repository")).strip() == "true"
        return _Earlier(frozenset(keys), complete=not shallow)

    async def _tags(self, window: Window) -> tuple[Tag, ...]:
        output = await self._run("for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags")
        tags = []
        for line in output.splitlines():
            fields = line.split(_UNIT)
            if len(fields) != 9:
                continue
            name, kind, sha, peeled, tagger_date, commit_date, peeled_date, _, _ = fields
            if kind == "tag" and peeled_date:
                tagged_at, target = _time(tagger_date or peeled_date), peeled
            elif kind == "commit":
                tagged_at, target = _time(commit_date), sha
            else:
                continue  # a tag of a tree or a blob: no release to speak of
            if tagged_at >= window.since:
                tags.append(Tag(name=name, sha=target, tagged_at=tagged_at))
        return tuple(sorted(tags, key=lambda t: t.tagged_at))

    async def _run(self, *args: str, check: bool = True) -> str:
        process = await asyncio.create_subprocess_exec(
            self.git,
            "-C",
            str(self.path),
            "-c",
            "log.showSignature=false",
            "-c",
            "color.ui=never",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
        out, err = await process.communicate()
        if process.returncode != 0 and check:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            reason = lines[-1] if lines else f"git exited with {process.returncode}"
            raise LocalGitError(f"cannot read the git repository at {self.path}: {reason}")
        return out.decode("utf-8", "replace") if process.returncode == 0 else ""


def _records(output: str) -> list[list[str]]:
    return [record.strip("\n").split(_UNIT) for record in output.split(_RECORD) if record.strip()]


def _git_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


def _time(value: str) -> datetime:
    moment = parse_github_time(value)
    if moment is None:
        raise LocalGitError(f"git printed a date it cannot have meant: {value!r}")
    return moment
