"""A local git repository (bare or not) as a source of activity: commits on the default
branch, their authors, and tags as releases. Git knows nothing of pull requests or
issues, so those are `None` (unknown), never empty.

For offline use, GitHub Enterprise Server without API access, or any git host. It reads
the server's disk, so monitors may use it only inside the directories the operator
allows (`INFRASYNC_LOCAL_SOURCE_ROOTS`, checked in `sources/service.py`); the CLI may read
any path.

git runs disarmed, always: a repository is data, never code. Its own config may name
commands (`core.sshCommand`, `ext::` remotes, an fsmonitor hook) that a fetch would run,
and a partial clone fetches on its own the moment a missing object is read. So git gets
a minimal environment instead of the server's (no secrets, no user config, no network
transport at all), partial clones are refused, and git's stderr (which a hostile
repository controls) is never shown to anyone.
"""

from __future__ import annotations

import asyncio
import atexit
import codecs
import contextlib
import functools
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
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
    person_key,
)

_UNIT = "\x1f"
_RECORD = "\x1e"
# Mailmap-aware author (%aN %aE) and committer (%cN %cE): a person who committed under
# two spellings counts once, as `git shortlog` would count them. Unix times (%at %ct)
# parse several times faster than ISO dates, and a full walk parses thousands.
_COMMIT_FORMAT = _UNIT.join(["%H", "%P", "%aN", "%aE", "%at", "%cN", "%cE", "%ct", "%s"]) + _RECORD
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
# How many commits older than every window the walk reads before it stops. git walks
# newest committer date first, so an in-window commit behind older ones only comes from
# clock skew; `git log --since` stops at the first older commit, we read this many more.
SKEW_ALLOWANCE = 300
# The most candidate newcomers git is asked to pick out by `--author`; past it, git
# prints every older commit in a short format and Python picks them out.
_MOST_AUTHOR_FILTERS = 200


# `git config --get-regexp` keys (git lowercases section and key names) that make a
# repository a partial clone: reading a missing object would then fetch it from that
# remote, running whatever transport the repository's config names.
_PARTIAL_CLONE_KEYS = r"^(extensions\.partialclone|remote\..*\.promisor)$"
_FALSE = frozenset({"false", "no", "off", "0"})
# `-c` options that win over the repository's own config.
_OVERRIDES = (
    *("-c", "log.showSignature=false"),  # no gpg run to check signatures
    *("-c", "color.ui=never"),
    *("-c", "core.fsmonitor=false"),  # a command git would run to watch the work tree
    *("-c", "protocol.allow=never"),  # with GIT_ALLOW_PROTOCOL=none (disarmed_environment)
    *("-c", "mailmap.file="),  # a file anywhere on the disk that the config would name
)


class LocalGitError(Exception):
    """git cannot (or may not) read the repository. The message is a sentence for the
    CLI's user, who named the path; `code` (and `exit_status`) is what a server logs and
    tells its users apart from. Neither ever holds git's own output."""

    permanent = True

    def __init__(self, code: str, message: str, *, exit_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.exit_status = exit_status


@functools.cache
def _empty_home() -> str:
    """An empty directory for git's HOME, made once per process, so git finds no user's
    config, credentials or `~/` files."""
    home = tempfile.mkdtemp(prefix="infrasync-git-home-")
    atexit.register(_remove_empty_directory, home)
    return home


def _remove_empty_directory(path: str) -> None:
    with contextlib.suppress(OSError):  # not empty: git wrote there; leave it be seen
        os.rmdir(path)


def disarmed_environment(
    git_dir: Path | None = None, directory: Path | None = None
) -> dict[str, str]:
    """The whole environment git runs with: never the server's, which holds its secrets
    and whatever GIT_* variables the operator's shell had.

    With `git_dir` and `directory` (a monitor's repository, already confined to the
    operator's roots, and the directory `-C` points git at) git is told where the
    repository is and discovers nothing; GIT_CEILING_DIRECTORIES (the directory's parent)
    also stops any discovery above that directory, should a later git or a later change
    drop GIT_DIR. Without them (the CLI, which may read any path) git finds the
    repository from the directory the way `git log` would."""
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LC_ALL": "C",
        "HOME": _empty_home(),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        # No transport at all, not even file://: `-c protocol.allow=never` alone loses to
        # a repository's own `protocol.ext.allow=always`, and this does not.
        "GIT_ALLOW_PROTOCOL": "none",
        # git 2.44+: never fetch a missing object (older gits ignore it; the above and
        # the partial-clone refusal cover them).
        "GIT_NO_LAZY_FETCH": "1",
        # Reading never takes the index lock, so a digest cannot block a user's git.
        "GIT_OPTIONAL_LOCKS": "0",
    }
    if git_dir is not None:
        environment["GIT_DIR"] = str(git_dir)
    if directory is not None:
        environment["GIT_CEILING_DIRECTORIES"] = str(directory.parent)
    return environment


class _History:
    """What one `git log` walk of the default branch tells about several windows: their
    commits, and who had committed before each (for first-time contributors).

    The walk ends once it has read `SKEW_ALLOWANCE` commits older than every window. The
    authors in a window with no earlier commit among those read (the candidate
    newcomers, a few at most) are then looked for in the rest of the history by
    `earlier`: only then does a newcomer cost a read of the whole history, and git does
    that read, printing only the candidates' commits.
    """

    def __init__(self, windows: Sequence[Window], bots: BotPolicy) -> None:
        self.windows = windows
        self.bots = bots
        self.earliest = min(w.since for w in windows).timestamp()
        self.latest = max(w.until for w in windows).timestamp()
        self.commits: list[Commit] = []
        self.head: str | None = None
        # Person key -> committer time of their oldest non-merge commit read so far.
        self.first_seen: dict[str, float] = {}
        self.older_read = 0
        # Whether git printed the whole history: then `first_seen` is the whole truth.
        self.exhausted = False
        # One Person per spelling: repositories have far fewer people than commits.
        self.people: dict[tuple[str, str], Person] = {}

    def take(self, record: list[str]) -> None:
        sha, parents, a_name, a_email, a_time, c_name, c_email, c_time, subject = record
        self.head = self.head or sha
        committed, parent_count = int(c_time), len(parents.split())
        if parent_count < 2:  # a merge is nobody's contribution
            self.saw(person_key(None, a_name, a_email), committed)
        if committed < self.earliest:
            self.older_read += 1
        elif committed < self.latest:
            # Built without validation: every field is typed by the parse above, and a
            # walk builds thousands (validation doubled the digest's time).
            self.commits.append(
                Commit.model_construct(
                    sha=sha,
                    message=subject,
                    author=self._person(a_name, a_email),
                    committer=self._person(c_name, c_email),
                    authored_at=datetime.fromtimestamp(int(a_time), UTC),
                    committed_at=datetime.fromtimestamp(committed, UTC),
                    parents=parent_count,
                )
            )

    def saw(self, key: str, committed: float) -> None:
        """A non-merge commit by `key`, committed at `committed`."""
        self.first_seen[key] = min(committed, self.first_seen.get(key, committed))

    def bounded(self) -> bool:
        return self.older_read >= SKEW_ALLOWANCE

    def candidates(self) -> dict[str, float]:
        """Person key -> the earliest `since` of the windows in which they committed
        with no earlier commit read yet: an earlier commit than that answers them in
        every window. Empty once the walk read the whole history (nothing is left to
        find)."""
        if self.exhausted:
            return {}
        wanted: dict[str, float] = {}
        for window in self.windows:
            since = window.since.timestamp()
            for commit in self.commits:
                key = commit.author.key
                if (
                    not commit.is_merge
                    and window.contains(commit.committed_at)
                    and self.first_seen[key] >= since
                ):
                    wanted[key] = min(since, wanted.get(key, since))
        return wanted

    def first_time(self, window: Window, complete: bool) -> dict[str, bool | None]:
        """Person key -> a first contribution in `window`? None when a shallow clone
        hides the history that would tell."""
        since = window.since.timestamp()
        return {
            commit.author.key: (
                False
                if self.first_seen[commit.author.key] < since
                else (True if complete else None)
            )
            for commit in self.commits
            if not commit.is_merge and window.contains(commit.committed_at)
        }

    def _person(self, name: str, email: str) -> Person:
        person = self.people.get((name, email))
        if person is None:
            person = Person(
                name=name or None,
                email=email or None,
                is_bot=self.bots.is_bot(name=name, email=email),
            )
            self.people[name, email] = person
        return person


class LocalGitSource:
    """`git_dir`: the repository's git directory, for a path already confined to the
    operator's roots (see `disarmed_environment`)."""

    def __init__(
        self,
        path: str | Path,
        bots: BotPolicy = DEFAULT_POLICY,
        *,
        git_dir: Path | None = None,
        git: str = "git",
    ) -> None:
        self.path = _expand_user(Path(path))
        self.bots = bots
        self.git = git
        confined = git_dir is not None
        self._environment = disarmed_environment(git_dir, self.path if confined else None)
        # What this source's reads cost, over its life: git commands run, and `git log`
        # records parsed (for benches and tests; a newcomer must not cost a full read).
        self.git_runs = 0
        self.records_read = 0

    async def activity(self, window: Window) -> Activity:
        return (await self.activities([window]))[0]

    async def activities(self, windows: Sequence[Window]) -> list[Activity]:
        """The activity of each window, from one walk of the history (a digest reads its
        window and the one before it)."""
        await self.ensure_readable()
        # Side by side, so a digest takes about as long as the walk alone. Each is let
        # finish (none is cancelled mid-way, which would leave a git process behind);
        # then the first failure (not a repository) is the answer.
        head = asyncio.create_task(self._head())
        tags = asyncio.create_task(self._tags())
        walk = asyncio.create_task(self._walk(windows))
        await asyncio.wait((head, tags, walk))
        failures = [task.exception() for task in (head, tags, walk)]  # each one retrieved
        if failure := next((f for f in failures if f is not None), None):
            raise failure
        (branch, complete), history = head.result(), walk.result()
        source = SourceInfo(
            kind="git", name=str(self.path), default_branch=branch, revision=history.head
        )
        return [
            self._activity(source, window, history, tags.result(), complete) for window in windows
        ]

    def _activity(
        self,
        source: SourceInfo,
        window: Window,
        history: _History,
        all_tags: Sequence[Tag],
        complete: bool,
    ) -> Activity:
        commits = tuple(c for c in history.commits if window.contains(c.committed_at))
        tags = tuple(tag for tag in all_tags if window.contains(tag.tagged_at))
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
        verdicts = history.first_time(window, complete=complete)
        return Activity(
            source=source,
            window=window,
            fetched_at=utcnow(),
            commits=commits,
            pull_requests=None,
            issues=None,
            releases=releases,
            tags=tags,
            contributors=contributors_in(window, commits, None, None, verdicts),
        )

    async def _walk(self, windows: Sequence[Window]) -> _History:
        """Streams `git log` of HEAD, newest first, until `_History` is bounded, then
        looks further back for the authors that part could not answer. An empty
        repository (no HEAD commit yet) has no history."""
        history = _History(windows, self.bots)
        complete, returncode = await self._stream(
            ("log", f"--format={_COMMIT_FORMAT}", "HEAD"), history.take, history.bounded
        )
        if returncode not in (None, 0) and await self._has_commits():
            raise self._failed(returncode)
        history.exhausted = complete
        if candidates := history.candidates():
            await self._earlier(history, candidates)
        return history

    async def _earlier(self, history: _History, candidates: dict[str, float]) -> None:
        """Reads the candidates' commits from before the latest window's start (git picks
        them out of the whole history, which it walks far faster than we could parse it)
        into `history.first_seen`, and stops once each has one older than every window they
        are new in. The same walk as the first (HEAD, by committer date, skew and all):
        it only prints less of it."""
        before = math.ceil(max(w.since for w in history.windows).timestamp()) - 1
        authors = [key.removeprefix("email:") for key in candidates]
        # Git's `--author` is a prefilter only; the person key (`person_key` of the
        # mailmapped %aN and %aE, with Python's lowercasing) decides. `<email>`, fixed and
        # ASCII case-blind, is found in every commit whose key is the candidate's, with
        # `--use-mailmap` matching the mailmapped author as %aE prints it. A name key (no
        # email) or an email git could fold otherwise than Python gets no filter at all,
        # and so do more candidates than a command line should carry (a year's newcomers
        # in a busy repository: git would then spend longer matching than printing).
        filtered = (
            len(authors) <= _MOST_AUTHOR_FILTERS
            and all(a.isascii() for a in authors)
            and not any(key.startswith("name:") for key in candidates)
        )
        filters = [f"--author=<{a}>" for a in authors] if filtered else []

        def take(record: list[str]) -> None:
            committed, email, name = record
            history.saw(person_key(None, name, email), int(committed))

        def answered() -> bool:
            first_seen = history.first_seen
            return all(first_seen[key] < since for key, since in candidates.items())

        _, returncode = await self._stream(
            (
                "log",
                "--no-merges",
                "--use-mailmap",
                *("--fixed-strings", "--regexp-ignore-case", *filters),
                f"--before=@{before}",
                f"--format={_UNIT.join(['%ct', '%aE', '%aN'])}{_RECORD}",
                "HEAD",
            ),
            take,
            answered,
        )
        if returncode not in (None, 0):
            raise self._failed(returncode)

    async def _stream(
        self,
        args: Sequence[str],
        take: Callable[[list[str]], None],
        enough: Callable[[], bool],
    ) -> tuple[bool, int | None]:
        """Runs git, hands each `_RECORD` it prints to `take` (split into `_UNIT`s), and
        stops git once `enough()`. Whether git printed everything, and its exit status
        (None when it was stopped)."""
        process = await self._start(*args)
        assert process.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        try:
            while chunk := await process.stdout.read(1 << 16):
                *records, pending = (pending + decoder.decode(chunk)).split(_RECORD)
                for record in records:
                    self.records_read += 1
                    take(record.strip("\n").split(_UNIT))
                    if enough():
                        return False, None
            await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return process.returncode == 0, process.returncode

    async def ensure_readable(self) -> None:
        """Refuses a path that is not a git repository, and a partial clone, before any
        git command that could read a missing object (and so fetch it) runs."""
        try:
            is_directory = self.path.is_dir()
        except (OSError, ValueError):  # a name too long, no permission, a NUL byte
            is_directory = False
        if not is_directory:
            raise LocalGitError("not_a_directory", f"{self.path} is not a directory.")
        if not (await self._run("rev-parse", "--git-dir", check=False)).strip():
            raise LocalGitError("not_a_repository", f"{self.path} is not a git repository.")
        # Reading config runs nothing. -z: one `key\nvalue` per entry, whatever the value.
        process = await self._start("config", "-z", "--get-regexp", _PARTIAL_CLONE_KEYS)
        out, _ = await process.communicate()
        if process.returncode not in (0, 1):  # 1: no such key
            raise self._failed(process.returncode)
        for entry in out.decode("utf-8", "replace").split("\0"):
            key, _, value = entry.partition("\n")
            if key == "extensions.partialclone" or (key and value.lower() not in _FALSE):
                raise LocalGitError(
                    "partial_clone",
                    f"{self.path} is a partial clone: git would fetch the objects it lacks "
                    "from its remote, which infrasync never lets it do. Use a full clone.",
                )

    def _failed(self, exit_status: int | None) -> LocalGitError:
        return LocalGitError(
            "git_failed",
            f"git could not read the repository at {self.path} (exit status {exit_status}).",
            exit_status=exit_status,
        )

    async def _head(self) -> tuple[str | None, bool]:
        """The branch HEAD names (None when detached or not yet born), and whether the
        history is complete (False for a shallow clone)."""
        output = await self._run(
            "rev-parse", "--is-shallow-repository", "--abbrev-ref", "HEAD", check=False
        )
        lines = output.split()
        branch = lines[1] if len(lines) > 1 and lines[1] != "HEAD" else None
        return branch, not lines or lines[0] != "true"

    async def _has_commits(self) -> bool:
        verified = await self._run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return bool(verified.strip())

    async def _tags(self) -> tuple[Tag, ...]:
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
            tags.append(Tag(name=name, sha=target, tagged_at=tagged_at))
        return tuple(sorted(tags, key=lambda t: t.tagged_at))

    async def _start(self, *args: str) -> asyncio.subprocess.Process:
        # stderr is dropped, never read: a hostile repository decides what git prints
        # there. stdin is /dev/null: nothing may ask a question and wait.
        self.git_runs += 1
        return await asyncio.create_subprocess_exec(
            self.git,
            "--no-pager",
            "-C",
            str(self.path),
            *_OVERRIDES,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=self._environment,
        )

    async def _run(self, *args: str, check: bool = True) -> str:
        process = await self._start(*args)
        out, _ = await process.communicate()
        if process.returncode != 0 and check:
            raise self._failed(process.returncode)
        return out.decode("utf-8", "replace") if process.returncode == 0 else ""


def _expand_user(path: Path) -> Path:
    try:
        return path.expanduser()
    except RuntimeError:  # `~nobody-here/x`: no such user, so no such directory either
        return path


def _time(value: str) -> datetime:
    moment = parse_github_time(value)
    if moment is None:
        raise LocalGitError("bad_date", f"git printed a date it cannot have meant: {value!r}")
    return moment
