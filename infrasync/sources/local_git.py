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
import contextlib
import errno
import functools
import hashlib
import math
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel

from infrasync.kit.text import without_bidi_controls
from infrasync.kit.time import utcnow
from infrasync.sources.bots import DEFAULT_POLICY, BotPolicy
from infrasync.sources.first_seen import (
    Bounds,
    FirstSeen,
    FirstSeenCache,
    extended,
    lower_bound,
    merged,
)
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
# `git log -z` ends each record with a NUL, and every field is ended by one too: git
# prints no NUL inside a field (it reads names, emails and subjects as C strings), so a
# subject may hold any other byte and the fields still line up.
# Mailmap-aware author (%aN %aE) and committer (%cN %cE): a person who committed under
# two spellings counts once, as `git shortlog` would count them. Unix times (%at %ct)
# parse several times faster than ISO dates, and a full walk parses thousands.
_COMMIT_FIELDS = ["%H", "%P", "%aN", "%aE", "%at", "%cN", "%cE", "%ct", "%s"]
_COMMIT_FORMAT = "%x00".join(_COMMIT_FIELDS)
_TAG_FORMAT = "%1f".join(
    [
        "%(refname)",
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
# After this many commits older than every window, the authors of the windows that none
# of them answered are looked for further back by a second git, side by side with the
# rest of the walk: by then a regular has shown an earlier commit, and who is left is
# likely new (whose answer is the whole history, which git reads far faster than we
# could parse it).
LOOKUP_AFTER = 50
# The most candidate newcomers git is asked to pick out by `--author`; past it, git
# prints every older commit in a short format and Python picks them out.
_MOST_AUTHOR_FILTERS = 200


# `git config --get-regexp` keys (git lowercases section and key names): the first two
# make a repository a partial clone: reading a missing object would then fetch it from that
# remote, running whatever transport the repository's config names.
# Read with them: config that makes the mailmap git applies (and so who an author is) or
# the work tree it reads `.mailmap` from other than `_mailmap_file` can tell; a repository
# that sets either keeps no first-seen cache.
_CACHE_REFUSING_KEYS = frozenset({"mailmap.blob", "core.worktree"})
_CONFIG_KEYS = r"^(extensions\.partialclone|remote\..*\.promisor|mailmap\.blob|core\.worktree)$"
# A commit id (SHA-1 or SHA-256), as a cache may name one: nothing else reaches git's
# command line from it.
_COMMIT_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
# A `.mailmap` larger than this is not fingerprinted (and the repository keeps no cache).
_MAILMAP_MOST_BYTES = 1 << 20
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


def _template(model: type[BaseModel], given: Sequence[str]) -> dict[str, Any]:
    """The `__dict__` `model.model_construct` would make, with the defaults filled in and
    a placeholder for each field in `given`: every field without a default must be one
    of them, and no default may be a factory (so a new field fails here, at import)."""
    if model.__pydantic_root_model__ or model.__pydantic_post_init__:
        raise TypeError(f"{model.__name__} needs model_construct")
    template: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None or (field.is_required() and name not in given):
            raise TypeError(f"{model.__name__}.{name} needs model_construct")
        template[name] = None if field.is_required() else field.default
    return template


_COMMIT_GIVEN = ("sha", "message", "author", "committer", "authored_at", "committed_at", "parents")
_COMMIT_TEMPLATE = _template(Commit, _COMMIT_GIVEN)
_new, _set = object.__new__, object.__setattr__


def _commit(
    sha: str,
    message: str,
    author: Person,
    committer: Person,
    authored_at: datetime,
    committed_at: datetime,
    parents: int,
) -> Commit:
    """`Commit.model_construct` of values that already have their fields' types, without
    its walk over every field on every call (a walk builds thousands of commits; this
    takes a quarter of the time). `tests/sources` holds it equal to a validated Commit."""
    commit = _new(Commit)
    fields = _COMMIT_TEMPLATE.copy()  # in the fields' order, as model_construct makes it
    fields["sha"] = sha
    fields["message"] = message
    fields["author"] = author
    fields["committer"] = committer
    fields["authored_at"] = authored_at
    fields["committed_at"] = committed_at
    fields["parents"] = parents
    _set(commit, "__dict__", fields)
    _set(commit, "__pydantic_fields_set__", set(_COMMIT_GIVEN))
    _set(commit, "__pydantic_extra__", None)
    _set(commit, "__pydantic_private__", None)
    return commit


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


# A commit in some window: its Commit, and what the first-time decision reads of it
# (its author's person key, committer time and parent count).
_Row = tuple[Commit, str, int, int]


class _History:
    """What one `git log` walk of the default branch tells about several windows: their
    commits, and who had committed before each (for first-time contributors).

    The walk ends once it has read `SKEW_ALLOWANCE` commits older than every window. The
    authors in a window with no earlier commit among those read (the candidate
    newcomers, a few at most) are looked for in the rest of the history by
    `LocalGitSource._earlier`, which git does, printing only the candidates' commits; it
    starts once the walk has read `LOOKUP_AFTER` older commits, side by side with the
    rest of the walk.
    """

    def __init__(self, windows: Sequence[Window], bots: BotPolicy) -> None:
        self.windows = windows
        self.bots = bots
        self.bounds = [(w.since.timestamp(), w.until.timestamp()) for w in windows]
        self.earliest = min(since for since, _ in self.bounds)
        self.latest = max(until for _, until in self.bounds)
        self.rows: list[_Row] = []
        self.head: str | None = None
        # Person key -> committer time of their oldest non-merge commit read so far.
        self.first_seen: dict[str, int] = {}
        self.older_read = 0
        # The walk is bounded once it has read `bound` commits older than every window;
        # `on_lookup_after` is called when it has read `lookup_after`.
        self.bound = SKEW_ALLOWANCE
        self.lookup_after = LOOKUP_AFTER
        self.on_lookup_after: Callable[[], None] | None = None
        # Whether git printed the whole history: then `first_seen` is the whole truth.
        self.exhausted = False
        # Person key -> a time no commit of theirs is older than (a kept first-seen
        # cache's lower bounds, `apply`): someone in a window starting at or before it is
        # new there without a look-up.
        self.lower: dict[str, int] = {}
        # Called once the walk has read HEAD's commit id (`head`).
        self.on_head: Callable[[], None] | None = None
        # Person keys and Persons by spelling (name and email as git printed them):
        # repositories have far fewer spellings than commits.
        self._keys: dict[tuple[bytes, bytes], str] = {}
        self._people: dict[tuple[bytes, bytes], Person] = {}

    def key(self, name: bytes, email: bytes) -> str:
        spelling = (name, email)
        key = self._keys.get(spelling)
        if key is None:
            key = self._keys[spelling] = person_key(None, _text(name), _text(email))
        return key

    def take(self, fields: list[bytes], start: int, whole: int) -> tuple[int, bool]:
        """Takes the records of `_COMMIT_FIELDS` in `fields[start:whole]`, in order,
        until the walk is bounded (`bound` commits older than every window read) or has
        just started a look-up (which then needs the event loop to start its git): where
        it stopped, and whether the walk is bounded. A commit in some window is built as
        it is read, while git prints the next ones (a Commit costs more than the parse);
        the loop is written out for the thousands of records a long window reads."""
        earliest, latest, first_seen = self.earliest, self.latest, self.first_seen
        keys, people, rows = self._keys, self._people, self.rows
        if self.head is None and whole:
            self.head = fields[0].decode()
            if self.on_head:
                self.on_head()
        for at in range(start, whole, 9):
            committed = int(fields[at + 7])
            spelling = (fields[at + 2], fields[at + 3])
            key = keys.get(spelling) or self.key(*spelling)
            parents = fields[at + 1]
            parent_count = parents.count(b" ") + 1 if parents else 0
            if parent_count < 2:  # a merge is nobody's contribution
                known = first_seen.get(key)
                if known is None or committed < known:
                    first_seen[key] = committed
            if committed < earliest:
                self.older_read += 1
                if self.older_read >= self.bound:
                    return at + 9, True
                if self.older_read == self.lookup_after and self.on_lookup_after:
                    self.on_lookup_after()
                    return at + 9, False
            elif committed < latest:
                authored = int(fields[at + 4])
                committed_at = datetime.fromtimestamp(committed, UTC)
                committer = (fields[at + 5], fields[at + 6])
                commit = _commit(
                    fields[at].decode(),
                    # Built without validation: the model's bidi-control removal, here.
                    without_bidi_controls(fields[at + 8].decode("utf-8", "replace")),
                    people.get(spelling) or self._person(spelling),
                    people.get(committer) or self._person(committer),
                    committed_at
                    if authored == committed
                    else datetime.fromtimestamp(authored, UTC),
                    committed_at,
                    parent_count,
                )
                rows.append((commit, key, committed, parent_count))
        return whole, False

    def saw(self, key: str, committed: int) -> None:
        """A non-merge commit by `key`, committed at `committed`."""
        known = self.first_seen.get(key)
        if known is None or committed < known:
            self.first_seen[key] = committed

    def candidates(self) -> dict[str, float]:
        """Person key -> the earliest `since` of the windows in which they committed
        with no earlier commit read yet: an earlier commit than that answers them in
        every window. Empty once the walk read the whole history (nothing is left to
        find)."""
        if self.exhausted:
            return {}
        wanted: dict[str, float] = {}
        first_seen, lower = self.first_seen, self.lower
        for since, until in self.bounds:
            for _, key, committed, parents in self.rows:
                if (
                    parents < 2
                    and since <= committed < until
                    and first_seen[key] >= since
                    and lower.get(key, -1) < since
                ):
                    wanted[key] = min(since, wanted.get(key, since))
        return wanted

    def apply(self, bounds: dict[str, Bounds]) -> None:
        """Takes in a first-seen cache's bounds, valid for the history being walked: an
        upper bound is an earlier commit as good as one read, a lower bound answers a
        window that starts no later."""
        for key, (lower, upper) in bounds.items():
            if upper is not None:
                self.saw(key, upper)
            if lower is not None:
                self.lower[key] = lower

    def learnt(self) -> dict[str, Bounds]:
        """The bounds this walk proved, over the history it walked, once every window's
        verdicts are known: an author's oldest commit read is an upper bound (their
        oldest of all when the walk read the whole history), and a newcomer has no commit
        older than the window they are new in."""
        if self.exhausted:
            return {key: (oldest, oldest) for key, oldest in self.first_seen.items()}
        learnt: dict[str, Bounds] = {key: (None, oldest) for key, oldest in self.first_seen.items()}
        for index, (since, _) in enumerate(self.bounds):
            for key, new in self.first_time(index, complete=True).items():
                if new:
                    lower, upper = learnt[key]
                    bound = lower_bound(since)
                    learnt[key] = (bound if lower is None else max(lower, bound), upper)
        return learnt

    def first_time(self, index: int, complete: bool) -> dict[str, bool | None]:
        """Person key -> a first contribution in window `index`? None when a shallow
        clone hides the history that would tell."""
        since, until = self.bounds[index]
        new = True if complete else None
        first_seen = self.first_seen
        return {
            key: False if first_seen[key] < since else new
            for _, key, committed, parents in self.rows
            if parents < 2 and since <= committed < until
        }

    def commits(self, index: int) -> tuple[Commit, ...]:
        since, until = self.bounds[index]
        return tuple(commit for commit, _, committed, _ in self.rows if since <= committed < until)

    def _person(self, spelling: tuple[bytes, bytes]) -> Person:
        person = self._people.get(spelling)
        if person is None:
            name, email = _text(spelling[0]), _text(spelling[1])
            person = Person(
                name=name or None,
                email=email or None,
                is_bot=self.bots.is_bot(name=name, email=email),
            )
            self._people[spelling] = person
        return person


class _Lookup:
    """A running look-up for earlier commits: its task says whether git printed all it
    was asked for; `keys` are the person keys it picks out (None: everyone)."""

    def __init__(self, task: asyncio.Task[bool], keys: frozenset[str] | None) -> None:
        self.task = task
        self.keys = keys

    def covers(self, key: str) -> bool:
        return self.keys is None or key in self.keys

    def settled(self, key: str) -> bool:
        """Whether every commit of `key`'s older than the windows has been read."""
        return (
            self.task.done()
            and not self.task.cancelled()
            and self.task.exception() is None
            and self.task.result()
            and self.covers(key)
        )


class _Process(Protocol):
    """A git process whose stdout is read: asyncio's, or `_PidfdProcess`."""

    @property
    def returncode(self) -> int | None: ...

    async def read(self) -> bytes: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...


class _AsyncioProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        assert process.stdout is not None
        self._stdout = process.stdout

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    async def read(self) -> bytes:
        return await self._stdout.read(1 << 16)

    async def wait(self) -> int:
        return await self._process.wait()

    def kill(self) -> None:
        self._process.kill()


class _PidfdProcess:
    """A child read and awaited in the event loop through file descriptors: its stdout
    pipe, and a pidfd that becomes readable when it exits. asyncio (3.11) awaits a child
    with a thread of its own, started and joined for every git run: a millisecond or two
    each, more than some of the git commands take."""

    def __init__(self, popen: subprocess.Popen[bytes], pidfd: int) -> None:
        self._popen = popen
        self._pidfd = pidfd
        assert popen.stdout is not None
        self._stdout = popen.stdout
        os.set_blocking(self._stdout.fileno(), False)

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def read(self) -> bytes:
        while True:
            try:
                return os.read(self._stdout.fileno(), 1 << 16)
            except BlockingIOError:
                await _readable(self._stdout.fileno())

    async def wait(self) -> int:
        while (returncode := self._popen.poll()) is None:
            await _readable(self._pidfd)
        self._close()
        return returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._popen.kill()

    def _close(self) -> None:
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1
        self._stdout.close()


async def _each_ended(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Waits until each task has ended. Cancelled while waiting (asyncio.wait leaves the
    tasks running, and with them their git), it cancels them and waits for them first."""
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        await _cancelled(tasks)
        raise


async def _cancelled(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancels the tasks and waits until each has ended (and so stopped its git), through
    any cancellation of the caller, which is raised again once they have."""
    for task in tasks:
        task.cancel()
    interrupted = False
    while not all(task.done() for task in tasks):
        try:
            await asyncio.wait(tasks)
        except asyncio.CancelledError:
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError


async def _stop(process: _Process) -> None:
    """Kills a git still running and waits for it, through any cancellation: a read that
    is cancelled while it waits (a look-up whose answer came from elsewhere, cancelled as
    it stops its own git) would otherwise leave the child unreaped and its pipe open. The
    cancellation is raised again once git is gone, which a killed git soon is."""
    if process.returncode is not None:
        return
    process.kill()
    cancelled = False
    while True:
        try:
            await process.wait()
        except asyncio.CancelledError:
            cancelled = True
            continue
        break
    if cancelled:
        raise asyncio.CancelledError


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


@functools.cache
def _pidfds() -> bool:
    """Whether this system has pidfds (Linux 5.3+, and not refused by a sandbox)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


class LocalGitSource:
    """`git_dir`: the repository's git directory, for a path already confined to the
    operator's roots (see `disarmed_environment`).

    `first_seen`: a first-seen cache (`sources/first_seen.py`) a monitor keeps for its
    repository: read for the authors the bounded walk cannot answer, and left updated
    for the caller to keep. Without one (the CLI) a newcomer costs a look-up through the
    whole history (git's, printing only their commits)."""

    def __init__(
        self,
        path: str | Path,
        bots: BotPolicy = DEFAULT_POLICY,
        *,
        git_dir: Path | None = None,
        git: str = "git",
        first_seen: FirstSeenCache | None = None,
    ) -> None:
        self.path = _expand_user(Path(path))
        self.bots = bots
        self.git = git
        self.first_seen = first_seen
        confined = git_dir is not None
        self._environment = disarmed_environment(git_dir, self.path if confined else None)
        # Whether the repository's config rules out a first-seen cache (`_check`).
        self._cache_refused = False
        # What this source's reads cost, over its life: git commands run, and `git log`
        # records parsed (for benches and tests; a newcomer must not cost a full read).
        self.git_runs = 0
        self.records_read = 0

    async def activity(self, window: Window) -> Activity:
        return (await self.activities([window]))[0]

    async def activities(self, windows: Sequence[Window]) -> list[Activity]:
        """The activity of each window, from one walk of the history (a digest reads its
        window and the one before it)."""
        branch, complete = await self._check()
        # Side by side, so a digest takes about as long as the walk alone. Each is let
        # finish (none is cancelled mid-way, which would leave a git process behind);
        # then the first failure (not a repository) is the answer.
        tags = asyncio.create_task(self._tags())
        # A shallow clone's history stops short: no bounds hold for it.
        cache = self.first_seen if complete and not self._cache_refused else None
        walk = asyncio.create_task(self._walk(windows, cache, tags))
        await _each_ended((tags, walk))
        failures = [task.exception() for task in (tags, walk)]  # each one retrieved
        if failure := next((f for f in failures if f is not None), None):
            raise failure
        history, kept = walk.result()
        if self.first_seen is not None:
            self.first_seen.replace(kept)
        source = SourceInfo(
            kind="git", name=str(self.path), default_branch=branch, revision=history.head
        )
        return [
            self._activity(source, window, index, history, tags.result(), complete)
            for index, window in enumerate(windows)
        ]

    def _activity(
        self,
        source: SourceInfo,
        window: Window,
        index: int,
        history: _History,
        all_tags: _Refs,
        complete: bool,
    ) -> Activity:
        commits = history.commits(index)
        tags = tuple(tag for tag in all_tags.tags if window.contains(tag.tagged_at))
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
        verdicts = history.first_time(index, complete=complete)
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

    async def _walk(
        self,
        windows: Sequence[Window],
        cache: FirstSeenCache | None,
        refs: asyncio.Task[_Refs],
    ) -> tuple[_History, FirstSeen | None]:
        """Streams `git log` of HEAD, newest first, until `_History` is bounded, and looks
        further back for the authors that part could not answer: from `LOOKUP_AFTER`
        older commits on, beside the walk, then for whoever is still unanswered when it
        ends. An empty repository (no HEAD commit yet) has no history.

        With a `cache`, its bounds (once `_kept` has found them valid for HEAD, beside
        the walk) answer whom they can before any look-up starts; the bounds to keep
        (None: none can be) come back with the history."""
        history = _History(windows, self.bots)
        lookups: list[_Lookup] = []
        kept: list[asyncio.Task[tuple[dict[str, Bounds], str] | None]] = []

        def look_up(wanted: dict[str, float]) -> None:
            keys = None if not _filtered(wanted) else frozenset(wanted)
            lookups.append(_Lookup(asyncio.create_task(self._earlier(history, wanted)), keys))

        def lookup_after() -> None:
            if kept and not kept[0].done():
                return  # the cache may answer them: the look-up waits for the walk's end
            if kept and kept[0].exception() is None and (known := kept[0].result()):
                history.apply(known[0])
            if history.older_read < history.bound and (wanted := history.candidates()):
                look_up(wanted)

        def on_head() -> None:
            if cache is not None and history.head is not None:
                kept.append(asyncio.create_task(self._kept(cache, history.head, refs, history)))

        history.on_lookup_after = lookup_after
        history.on_head = on_head
        try:
            complete, returncode = await self._stream(
                ("log", "-z", f"--format={_COMMIT_FORMAT}", "HEAD"),
                len(_COMMIT_FIELDS),
                history.take,
            )
            if returncode not in (None, 0) and await self._has_commits():
                raise self._failed(returncode)
            history.exhausted = complete
            known = None
            if kept:
                await _each_ended(kept)
                known = kept[0].result()  # raises its failure
                if known:
                    history.apply(known[0])
            while True:
                # Who is still unanswered, and not known new by a look-up that read all
                # their older commits; each gets a look-up if none running covers them.
                wanted = {
                    key: since
                    for key, since in history.candidates().items()
                    if not any(lookup.settled(key) for lookup in lookups)
                }
                running = [lookup for lookup in lookups if not lookup.task.done()]
                if not wanted:
                    break
                if uncovered := {
                    key: since
                    for key, since in wanted.items()
                    if not any(lookup.covers(key) for lookup in running)
                }:
                    look_up(uncovered)
                    running.append(lookups[-1])
                await asyncio.wait(
                    [lookup.task for lookup in running], return_when="FIRST_COMPLETED"
                )
                for lookup in running:
                    if lookup.task.done() and (failure := lookup.task.exception()):
                        raise failure
        finally:
            # Answered (or failed): a look-up still running is stopped, its git killed.
            tasks: list[asyncio.Task[Any]] = [lookup.task for lookup in lookups]
            tasks += kept
            await _cancelled(tasks)
            for task in tasks:
                if not task.cancelled():
                    task.exception()  # retrieved: the first failure was raised above
        return history, self._to_keep(history, known)

    def _to_keep(
        self, history: _History, known: tuple[dict[str, Bounds], str] | None
    ) -> FirstSeen | None:
        """The first-seen bounds for HEAD after this walk: the kept ones (extended to
        HEAD) tightened by what the walk learnt. None when there is no cache to keep."""
        if history.head is None or known is None:
            return None
        bounds, mailmap = known
        return FirstSeen(
            path=str(self.path),
            tip=history.head,
            mailmap=mailmap,
            bounds=merged(bounds, history.learnt()),
        )

    async def _kept(
        self,
        cache: FirstSeenCache,
        head: str,
        refs: asyncio.Task[_Refs],
        history: _History,
    ) -> tuple[dict[str, Bounds], str] | None:
        """The cache's bounds valid for `head`, and the mailmap's fingerprint: empty
        bounds when it has none that hold (none yet, a rewritten history, another
        mailmap), None when the repository can keep none (replace refs, which rewrite
        history without changing its commit ids; a `.mailmap` that cannot be read).

        Kept bounds hold for the history of their tip: for HEAD when the tip is HEAD, or
        an ancestor of it once the commits since (`tip..HEAD`) extend them. Any other
        tip is a history rewritten (force-pushed, reset): the bounds are dropped."""
        worktree = _mailmap_file(self.path)
        if worktree is None:
            return None
        state = cache.state
        usable = (
            state is not None
            and state.path == str(self.path)
            and _COMMIT_ID.fullmatch(state.tip) is not None
        )
        if state is not None and usable and state.tip == head:
            # The same commit, so the same tree and the same `.mailmap` blob in it.
            blob = state.mailmap.partition(":")[2]
            since_tip: dict[str, int] | None = {}
        else:
            tip = state.tip if usable and state is not None else None
            blob, since_tip = await self._moved(tip, head, history)
        mailmap = f"{worktree}:{blob}"
        await _each_ended([refs])
        if refs.exception() is not None or refs.result().replaced:
            return None  # the walk's caller raises a failure of `_tags`
        if state is None or not usable or since_tip is None or state.mailmap != mailmap:
            return {}, mailmap
        return extended(state.bounds, since_tip), mailmap

    async def _moved(
        self, tip: str | None, head: str, history: _History
    ) -> tuple[str, dict[str, int] | None]:
        """For a HEAD other than the cache's tip: the id of HEAD's `.mailmap` blob (what
        git reads in a bare repository; "" when none), and the oldest commit of each
        author in `tip..HEAD` (None when `tip` is no ancestor of HEAD, or None)."""
        blob = asyncio.create_task(self._output("rev-parse", "-q", "--verify", f"{head}:.mailmap"))
        tasks: list[asyncio.Task[Any]] = [blob]
        if tip is not None:
            ancestor = asyncio.create_task(self._output("merge-base", "--is-ancestor", tip, head))
            commits = asyncio.create_task(self._since(tip, head, history))
            tasks += [ancestor, commits]
        try:
            await _each_ended(tasks[:2])
            returncode, out = blob.result()
            blob_id = _text(out).strip() if returncode == 0 else ""
            if tip is None or ancestor.result()[0] != 0:
                return blob_id, None
            await _each_ended([commits])
            return blob_id, commits.result()
        finally:
            await _cancelled(tasks)
            for task in tasks:
                if not task.cancelled():
                    task.exception()

    async def _since(self, tip: str, head: str, history: _History) -> dict[str, int]:
        """Person key -> their oldest non-merge commit in `tip..head`."""
        oldest: dict[str, int] = {}

        def take(record: list[bytes], start: int, whole: int) -> tuple[int, bool]:
            for at in range(start, whole, 3):
                committed = int(record[at])
                key = history.key(record[at + 2], record[at + 1])
                if committed < oldest.get(key, committed + 1):
                    oldest[key] = committed
            return whole, False

        _, returncode = await self._stream(
            ("log", "-z", "--no-merges", "--format=%ct%x00%aE%x00%aN", head, f"^{tip}"),
            3,
            take,
        )
        if returncode not in (None, 0):
            raise self._failed(returncode)
        return oldest

    async def _earlier(self, history: _History, wanted: dict[str, float]) -> bool:
        """Reads the `wanted` authors' commits from before the latest window's start (git
        picks them out of the whole history, which it walks far faster than we could
        parse it) into `history.first_seen`, and stops once each has one older than every
        window they are new in. The same walk as the first (HEAD, by committer date, skew
        and all): it only prints less of it. Whether git printed all it found."""
        before = math.ceil(max(w.since for w in history.windows).timestamp()) - 1
        # Git's `--author` is a prefilter only; the person key (`person_key` of the
        # mailmapped %aN and %aE, with Python's lowercasing) decides. `<email>`, fixed and
        # ASCII case-blind, is found in every commit whose key is the candidate's, with
        # `--use-mailmap` matching the mailmapped author as %aE prints it. A name key (no
        # email) or an email git could fold otherwise than Python gets no filter at all,
        # and so do more candidates than a command line should carry (a year's newcomers
        # in a busy repository: git would then spend longer matching than printing).
        filtered = _filtered(wanted)
        filters = [f"--author=<{key.removeprefix('email:')}>" for key in wanted] if filtered else []
        # Filtered, every commit printed has the email looked for: no name needed.
        fields = ["%ct", "%aE"] if filtered else ["%ct", "%aE", "%aN"]
        first_seen = history.first_seen
        unanswered = {key for key, since in wanted.items() if first_seen[key] >= since}
        if not unanswered:
            return False

        width = len(fields)

        def take(record: list[bytes], start: int, whole: int) -> tuple[int, bool]:
            for at in range(start, whole, width):
                committed = int(record[at])
                key = history.key(record[at + 2] if not filtered else b"", record[at + 1])
                history.saw(key, committed)
                if key in unanswered and committed < wanted[key]:
                    unanswered.discard(key)
                    if not unanswered:
                        return at + width, True
            return whole, False

        complete, returncode = await self._stream(
            (
                "log",
                "-z",
                "--no-merges",
                "--use-mailmap",
                *("--fixed-strings", "--regexp-ignore-case", *filters),
                f"--before=@{before}",
                f"--format={'%x00'.join(fields)}",
                # The commit the walk started from: HEAD may have moved since, and what
                # is learnt here must hold for the history the walk read.
                history.head or "HEAD",
            ),
            width,
            take,
        )
        if returncode not in (None, 0):
            raise self._failed(returncode)
        return complete

    async def _stream(
        self,
        args: Sequence[str],
        width: int,
        take: Callable[[list[bytes], int, int], tuple[int, bool]],
    ) -> tuple[bool, int | None]:
        """Runs git, whose `-z` output is records of `width` NUL-ended fields, and hands
        the whole records of each read to `take` (the fields, where to start and where
        the whole records end), which answers where it stopped and whether that was
        enough: then git is stopped. Stopped short of the end, it is called again for the
        rest once the event loop has run what is ready (a look-up it started). Whether
        git printed everything, and its exit status (None when it was stopped)."""
        process = await self._start(*args)
        rest = b""
        try:
            while chunk := await process.read():
                fields = (rest + chunk).split(b"\0")
                whole = (len(fields) - 1) // width * width  # the last one is unfinished
                start = 0
                while True:
                    stopped, enough = take(fields, start, whole)
                    self.records_read += (stopped - start) // width
                    if enough:
                        return False, None
                    # Let what `take` started run (the next read may well not wait).
                    await asyncio.sleep(0)
                    if stopped >= whole:
                        break
                    start = stopped
                rest = b"\0".join(fields[whole:])
            returncode = await process.wait()
        finally:
            await _stop(process)
        return returncode == 0, returncode

    async def ensure_readable(self) -> None:
        """Refuses a path that is not a git repository, and a partial clone, before any
        git command that could read a missing object (and so fetch it) runs."""
        await self._check()

    async def _check(self) -> tuple[str | None, bool]:
        """`ensure_readable`, telling also the branch HEAD names (None when detached or
        not yet born) and whether the history is complete (False for a shallow clone).
        Both git commands read no object: they run side by side."""
        try:
            is_directory = self.path.is_dir()
        except (OSError, ValueError):  # a name too long, no permission, a NUL byte
            is_directory = False
        if not is_directory:
            raise LocalGitError("not_a_directory", f"{self.path} is not a directory.")
        # Outside a repository rev-parse prints nothing; in one, `true` or `false`, then
        # the branch (`HEAD` when detached; nothing, and a failure, when not yet born).
        probe = asyncio.create_task(
            self._output("rev-parse", "--is-shallow-repository", "--abbrev-ref", "HEAD")
        )
        # Reading config runs nothing. -z: one `key\nvalue` per entry, whatever the value.
        config = asyncio.create_task(self._output("config", "-z", "--get-regexp", _CONFIG_KEYS))
        await _each_ended((probe, config))
        failures = [task.exception() for task in (probe, config)]  # each one retrieved
        if failure := next((f for f in failures if f is not None), None):
            raise failure
        (probed, probe_out), (configured, config_out) = probe.result(), config.result()
        lines = _text(probe_out).split("\n")
        if lines[0] not in ("true", "false"):
            raise LocalGitError("not_a_repository", f"{self.path} is not a git repository.")
        if configured not in (0, 1):  # 1: no such key
            raise self._failed(configured)
        for entry in _text(config_out).split("\0"):
            key, _, value = entry.partition("\n")
            if key in _CACHE_REFUSING_KEYS:
                self._cache_refused = True
                continue
            if key == "extensions.partialclone" or (key and value.lower() not in _FALSE):
                raise LocalGitError(
                    "partial_clone",
                    f"{self.path} is a partial clone: git would fetch the objects it lacks "
                    "from its remote, which infrasync never lets it do. Use a full clone.",
                )
        branch = lines[1] if probed == 0 and len(lines) > 1 else None
        return (branch if branch not in ("", "HEAD") else None), lines[0] != "true"

    def _failed(self, exit_status: int | None) -> LocalGitError:
        return LocalGitError(
            "git_failed",
            f"git could not read the repository at {self.path} (exit status {exit_status}).",
            exit_status=exit_status,
        )

    async def _has_commits(self) -> bool:
        verified = await self._run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return bool(verified.strip())

    async def _tags(self) -> _Refs:
        """The tags, and whether the repository has replace refs (`git replace`, which
        `git log` follows: a history changed under the same commit ids, so no first-seen
        cache can tell it has changed): one for-each-ref, read beside the walk."""
        output = await self._run(
            "for-each-ref", f"--format={_TAG_FORMAT}", "refs/tags", "refs/replace"
        )
        tags = []
        replaced = False
        for line in output.splitlines():
            fields = line.split(_UNIT)
            if len(fields) != 9:
                continue
            refname, kind, sha, peeled, tagger_date, commit_date, peeled_date, _, _ = fields
            if not refname.startswith("refs/tags/"):
                replaced = True
                continue
            name = refname.removeprefix("refs/tags/")
            if kind == "tag" and peeled_date:
                tagged_at, target = _time(tagger_date or peeled_date), peeled
            elif kind == "commit":
                tagged_at, target = _time(commit_date), sha
            else:
                continue  # a tag of a tree or a blob: no release to speak of
            tags.append(Tag(name=name, sha=target, tagged_at=tagged_at))
        return _Refs(tuple(sorted(tags, key=lambda t: t.tagged_at)), replaced)

    async def _start(self, *args: str) -> _Process:
        # stderr is dropped, never read: a hostile repository decides what git prints
        # there. stdin is /dev/null: nothing may ask a question and wait.
        self.git_runs += 1
        command = [self.git, "--no-pager", "-C", str(self.path), *_OVERRIDES, *args]
        if not _pidfds():
            return _AsyncioProcess(
                await asyncio.create_subprocess_exec(
                    *command,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                    env=self._environment,
                )
            )
        # Popen only forks and execs, as asyncio's own subprocess does in the loop; the
        # command is git with fixed options and our arguments.
        popen = subprocess.Popen(  # noqa: ASYNC220, S603
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._environment,
        )
        try:
            return _PidfdProcess(popen, os.pidfd_open(popen.pid))
        except BaseException:  # no pidfd after all (out of descriptors): no child left
            popen.kill()
            popen.wait()
            assert popen.stdout is not None
            popen.stdout.close()
            raise

    async def _output(self, *args: str) -> tuple[int, bytes]:
        """git's exit status and all it printed."""
        process = await self._start(*args)
        chunks = []
        try:
            while chunk := await process.read():
                chunks.append(chunk)
            returncode = await process.wait()
        finally:
            await _stop(process)
        return returncode, b"".join(chunks)

    async def _run(self, *args: str, check: bool = True) -> str:
        returncode, out = await self._output(*args)
        if returncode != 0 and check:
            raise self._failed(returncode)
        return _text(out) if returncode == 0 else ""


class _Refs(NamedTuple):
    tags: tuple[Tag, ...]
    replaced: bool  # the repository has replace refs


def _mailmap_file(directory: Path) -> str | None:
    """A fingerprint of the work tree's `.mailmap` as git reads it (never through a
    symlink): its SHA-256, "none" when there is none, "link" for a symlink (which git
    will not read); None when it cannot be told (unreadable, not a file, huge)."""
    try:
        descriptor = os.open(directory / ".mailmap", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return "none"
    except OSError as error:
        return "link" if error.errno == errno.ELOOP else None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        content = file.read(_MAILMAP_MOST_BYTES + 1)
    if len(content) > _MAILMAP_MOST_BYTES:
        return None
    return hashlib.sha256(content).hexdigest()


def _filtered(wanted: Iterable[str]) -> bool:
    """Whether git can pick out the commits of the authors keyed `wanted` by `--author`
    (see `LocalGitSource._earlier`)."""
    keys = list(wanted)
    return len(keys) <= _MOST_AUTHOR_FILTERS and all(
        key.startswith("email:") and key.isascii() for key in keys
    )


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
