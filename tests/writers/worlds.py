"""A week of a made-up repository that has every case a weekly update must tell apart,
served by the fake GitHub, and a local git history with bots, conventional commits and
a release tag.

`acme/widgets`, week of 2026-11-16 to 2026-11-23 (UTC):

- the week before: #80 and #81 merged, what the headline compares with;
- merged by people: #101 (label `enhancement`), #102 (`fix:` prefix, no label), #103
  (label `performance`), #104 (`docs:` by cy, a newcomer), #105 (`feat!:`, breaking),
  #106 (neither: Other); each came as one squashed commit;
- bots: dependabot's #110 to #114 merged and #115 open since Nov 1 with no review;
  pre-commit-ci's #116 merged; github-actions pushed one commit straight to main;
- waiting for a first review: #90 (open since Nov 2) and #95 (a draft until Nov 12);
- changes requested: #97 (bob asked on Nov 17, nothing pushed since: listed), #98
  (asked, then a commit: not listed), #99 (asked, then approved: not listed);
- #120 opened on Nov 22: too young to wait, reviewed by nobody yet, not listed;
- issues: #130 (only its author wrote since: listed), #131 (answered by bob), #132
  (only a bot answered: listed), #133 (closed the same day);
- two commits by people straight to main, one release `v2.4.0`.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.github_world import (
    FakeAccount,
    FakeCommit,
    FakeIssue,
    FakePull,
    FakeRelease,
    FakeRepo,
    FakeReview,
    FakeTag,
)

SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)


def nov(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


ada = FakeAccount("ada", name="Ada", email="ada@acme.example")
bob = FakeAccount("bob", name="Bob", email="bob@acme.example")
cy = FakeAccount("cy", name="Cy", email="cy@acme.example")
dan = FakeAccount("dan", name="Dan", email="dan@acme.example")
dependabot = FakeAccount("dependabot", kind="Bot")
pre_commit = FakeAccount("pre-commit-ci", kind="Bot")
actions = FakeAccount("github-actions", kind="Bot")

_shas = iter(range(1, 10_000))


def _sha() -> str:
    # Distinct in their first seven characters, as a digest shows them.
    return hashlib.sha1(str(next(_shas)).encode(), usedforsecurity=False).hexdigest()


def _commit(message: str, who: FakeAccount, when: datetime, pull: int | None = None) -> FakeCommit:
    bot = who.kind == "Bot"
    return FakeCommit(
        oid=_sha(),
        message=message,
        author_name=f"{who.login}[bot]" if bot else who.name or who.login,
        author_email=(
            f"1+{who.login}[bot]@users.noreply.github.com" if bot else who.email or "x@example"
        ),
        committed_at=when,
        authored_at=when,
        account=who,
        pull=pull,
    )


def _merged(
    number: int,
    title: str,
    who: FakeAccount,
    created: datetime,
    merged: datetime,
    labels: Iterable[str] = (),
    reviewer: FakeAccount | None = None,
) -> FakePull:
    reviews = [FakeReview(reviewer, "APPROVED", created + timedelta(hours=2))] if reviewer else []
    return FakePull(
        number,
        title,
        who,
        created,
        merged,
        state="MERGED",
        merged_at=merged,
        closed_at=merged,
        labels=list(labels),
        reviews=reviews,
    )


def _open(
    number: int, title: str, who: FakeAccount, created: datetime, **fields: object
) -> FakePull:
    pull = FakePull(number, title, who, created, created)
    for name, value in fields.items():
        setattr(pull, name, value)
    return pull


def widgets() -> FakeRepo:
    repo = FakeRepo("acme", "widgets")
    merged = [
        _merged(101, "feat(parser): streaming mode", ada, nov(16), nov(18), ["enhancement"], bob),
        _merged(102, "fix: crash on empty input", bob, nov(17), nov(19), (), ada),
        _merged(103, "Speed up the tokenizer", ada, nov(17, 9), nov(20), ["performance"], dan),
        _merged(104, "docs: explain the config file", cy, nov(18), nov(21), (), ada),
        _merged(105, "feat!: drop Python 3.9", dan, nov(18, 9), nov(20, 15), (), ada),
        _merged(106, "Tidy imports", bob, nov(19), nov(19, 18), (), dan),
    ]
    bots = [
        _merged(
            110 + n,
            f"Bump {lib} from 1.{n} to 1.{n + 1}",
            dependabot,
            nov(16 + n),
            nov(16 + n, 15),
            ["dependencies"],
        )
        for n, lib in enumerate(("httpx", "pydantic", "ruff", "mypy", "pytest"))
    ]
    bots.append(
        _merged(116, "[pre-commit.ci] pre-commit autoupdate", pre_commit, nov(17), nov(17, 20))
    )
    waiting = [
        _open(90, "Retry uploads that time out", dan, nov(2), head_committed_at=nov(2)),
        _open(
            95,
            "Refactor the cache",
            bob,
            nov(10),
            is_draft=False,
            draft_events=[("ReadyForReviewEvent", nov(12))],
            head_committed_at=nov(12),
        ),
        _open(115, "Bump requests from 2.31 to 2.32", dependabot, nov(1), labels=["dependencies"]),
    ]
    # #95 was opened as a draft: the fake tells it by its first event, as GitHub does.
    asked = [
        _open(
            97,
            "Support TOML config",
            ada,
            nov(9),
            reviews=[FakeReview(bob, "CHANGES_REQUESTED", nov(17))],
            head_committed_at=nov(16),
        ),
        _open(
            98,
            "Cache tokens",
            dan,
            nov(9),
            reviews=[FakeReview(ada, "CHANGES_REQUESTED", nov(17))],
            head_committed_at=nov(19),
        ),
        _open(
            99,
            "Stricter lint rules",
            bob,
            nov(9),
            reviews=[
                FakeReview(ada, "CHANGES_REQUESTED", nov(14)),
                FakeReview(ada, "APPROVED", nov(18)),
            ],
            head_committed_at=nov(13),
        ),
        _open(120, "Add a --quiet flag", bob, nov(22)),
    ]
    earlier = [
        _merged(80, "Start the parser rewrite", ada, nov(9), nov(10), (), bob),
        _merged(81, "Add a benchmark", bob, nov(10), nov(11), ["tests"], ada),
    ]
    repo.pulls = earlier + merged + bots + waiting + asked
    for pull in repo.pulls:
        pull.updated_at = max(
            [pull.created_at, pull.merged_at or pull.created_at]
            + [r.submitted_at for r in pull.reviews if r.submitted_at]
        )
    repo.commits = [
        *(
            _commit(p.title, p.author or ada, p.merged_at or nov(16), p.number)
            for p in merged + bots
        ),
        _commit("Fix a typo in the README", bob, nov(18, 8)),
        _commit("chore(release): 2.4.0", ada, nov(21, 10)),
        _commit("Update the changelog", actions, nov(21, 11)),
        # The week before: what the headline compares with.
        _commit("Start the parser rewrite", ada, nov(10), 80),
        _commit("Add a benchmark", bob, nov(11), 81),
        _commit("Older work", dan, datetime(2026, 10, 1, tzinfo=UTC)),
    ]
    repo.issues = [
        FakeIssue(
            130, "Crash when the file is empty", dan, nov(17), nov(18), comments=[(dan, nov(18))]
        ),
        FakeIssue(
            131, "Typo in the docs", dan, nov(18), nov(18, 15), comments=[(bob, nov(18, 15))]
        ),
        FakeIssue(132, "Support YAML", ada, nov(19), nov(19, 1), comments=[(actions, nov(19, 1))]),
        FakeIssue(
            133,
            "Wrong version shown",
            bob,
            nov(20),
            nov(20, 14),
            state="CLOSED",
            closed_at=nov(20, 14),
        ),
        FakeIssue(125, "An old question", ada, nov(3), nov(3)),
    ]
    repo.releases = [FakeRelease("v2.4.0", nov(21, 10), nov(21, 10), name="2.4.0", author=ada)]
    repo.tags = [FakeTag("v2.4.0", repo.commits[-5].oid, nov(21, 10))]
    return repo


# A local git history -----------------------------------------------------------------------

GIT_SINCE = datetime(2026, 11, 16, tzinfo=UTC)
GIT_UNTIL = datetime(2026, 11, 23, tzinfo=UTC)

# (subject, author name, email, day of November): in the order they are committed.
GIT_HISTORY = (
    ("Initial commit", "Ada", "ada@acme.example", 2),
    ("feat: a first parser", "Ada", "ada@acme.example", 5),
    ("feat(cli): read from stdin", "Bob", "bob@acme.example", 16),
    ("fix: empty input no longer crashes", "Ada", "ada@acme.example", 16),
    (
        "Bump ruff from 0.7 to 0.8",
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        17,
    ),
    ("docs: the config file", "Cy", "cy@acme.example", 17),
    (
        "[pre-commit.ci] auto fixes",
        "pre-commit-ci[bot]",
        "66853113+pre-commit-ci[bot]@users.noreply.github.com",
        17,
    ),
    (
        "Bump mypy from 1.12 to 1.13",
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        18,
    ),
    ("perf: cache compiled patterns", "Bob", "bob@acme.example", 18),
    ("fix(cli)!: --out now needs a path", "Ada", "ada@acme.example", 19),
    (
        "Bump pytest from 8.2 to 8.3",
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        19,
    ),
    ("Tidy imports", "Bob", "bob@acme.example", 20),
    ("chore(release): 1.0.0", "Ada", "ada@acme.example", 21),
)
GIT_TAG = ("v1.0.0", 21)


def make_git_history(path: Path) -> None:
    """`GIT_HISTORY` as a repository at `path`, tagged `v1.0.0` on its release commit."""
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    for index, (subject, name, email, day) in enumerate(GIT_HISTORY):
        (path / "log.txt").write_text(f"{index}\n", encoding="utf-8")
        when = f"2026-11-{day:02d}T{10 + index % 8:02d}:00:00+00:00"
        _git(path, "add", "log.txt")
        _git(
            path,
            "commit",
            "-q",
            "-m",
            subject,
            env={
                "GIT_AUTHOR_NAME": name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_AUTHOR_DATE": when,
                "GIT_COMMITTER_DATE": when,
            },
        )
    _git(path, "tag", GIT_TAG[0])


def _git(path: Path, *args: str, env: dict[str, str] | None = None) -> None:
    base = {
        "HOME": str(path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", *args], cwd=path, env={**base, **(env or {})}, check=True)
