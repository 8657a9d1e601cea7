"""The data behind the fake GitHub: repositories with pull requests, reviews, issues,
commits, releases and tags, served through GitHub's real GraphQL schema.

`recorded_world()` fills it from payloads GitHub actually sent (see
`tests/fixtures/github/README.md`): the commits of `sigmavirus24/github3.py` with
their real parents, its pull request #671 with its five reviews, #235 merged, two
releases; the merge-commit history of release-drafter's test repository with the pull
requests GitHub associated with each commit; the three open pull requests of
`betamaxpy/betamax`, which answers to its old name `sigmavirus24/betamax` too; and the
thirteen issues of octokit's pagination scenario. `generate_repo()` adds repositories
of any size for page-boundary tests and the bench.

GraphQL objects are dicts whose connection fields are callables: graphql-core's default
resolver calls them with the field's arguments, so `first`, `after`, `orderBy`,
`filterBy`, `since`… are applied here exactly as GitHub documents them.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.github_schema import FIXTURES

Obj = dict[str, Any]
_ids = itertools.count(1000)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def required_time(value: str) -> datetime:
    moment = parse_time(value)
    if moment is None:
        raise ValueError("a recorded timestamp is missing")
    return moment


def _node_id(prefix: str) -> str:
    return f"{prefix}_kw{next(_ids):08d}"


class ResolverError(Exception):
    """Raised by a resolver; rendered the way GitHub renders it (a top-level `type`)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class FakeAccount:
    login: str
    kind: str = "User"  # "User" | "Bot"
    name: str | None = None
    email: str | None = None
    node_id: str = field(default_factory=lambda: _node_id("U"))

    def actor(self) -> Obj:
        return {
            "__typename": self.kind,
            "login": self.login,
            "id": self.node_id,
            "name": self.name,
            "url": f"https://github.com/{self.login}",
        }


@dataclass
class FakeReview:
    author: FakeAccount | None
    state: str
    submitted_at: datetime | None


@dataclass
class FakePull:
    number: int
    title: str
    author: FakeAccount | None
    created_at: datetime
    updated_at: datetime
    state: str = "OPEN"  # OPEN | CLOSED | MERGED
    is_draft: bool = False
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    reviews: list[FakeReview] = field(default_factory=list)
    review_requests: list[FakeAccount | str] = field(default_factory=list)  # str = team
    draft_events: list[tuple[str, datetime]] = field(default_factory=list)
    additions: int = 0
    deletions: int = 0
    changed_files: int = 0
    base_ref: str = "main"
    node_id: str = field(default_factory=lambda: _node_id("PR"))
    body: str = ""
    # The committer date of the newest commit on its branch; None: the branch is gone.
    head_committed_at: datetime | None = None


@dataclass
class FakeIssue:
    number: int
    title: str
    author: FakeAccount | None
    created_at: datetime
    updated_at: datetime
    state: str = "OPEN"
    state_reason: str | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    node_id: str = field(default_factory=lambda: _node_id("I"))
    comments: list[tuple[FakeAccount | None, datetime]] = field(default_factory=list)


@dataclass
class FakeCommit:
    oid: str
    message: str
    author_name: str
    author_email: str
    committed_at: datetime
    authored_at: datetime
    parents: int = 1
    account: FakeAccount | None = None
    pull: int | None = None  # the pull request GitHub associates with it


@dataclass
class FakeRelease:
    tag_name: str
    created_at: datetime
    published_at: datetime | None
    name: str | None = None
    author: FakeAccount | None = None
    is_draft: bool = False
    is_prerelease: bool = False


@dataclass
class FakeTag:
    name: str
    oid: str
    commit_date: datetime
    tagger_date: datetime | None = None  # an annotated tag


@dataclass
class FakeRepo:
    owner: str
    name: str
    database_id: int = field(default_factory=lambda: next(_ids))
    private: bool = False
    default_branch: str = "main"
    archived: bool = False
    fork: bool = False
    pulls: list[FakePull] = field(default_factory=list)
    issues: list[FakeIssue] = field(default_factory=list)
    commits: list[FakeCommit] = field(default_factory=list)  # any order
    releases: list[FakeRelease] = field(default_factory=list)
    tags: list[FakeTag] = field(default_factory=list)
    node_id: str = field(default_factory=lambda: _node_id("R"))

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def html_url(self) -> str:
        return f"https://github.com/{self.full_name}"


# Connections --------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as error:
        raise ResolverError(
            "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
        ) from error


def connection(
    items: Sequence[Any],
    convert: Callable[[Any], Obj],
    *,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    before: str | None = None,
    cursor: Callable[[int], str] = _cursor,
    index: Callable[[str], int] = _index,
    **_ignored: Any,
) -> Obj:
    start = index(after) + 1 if after else 0
    end = index(before) if before else len(items)
    positions = list(range(start, min(end, len(items))))
    if first is not None:
        positions = positions[:first]
    if last is not None:
        positions = positions[-last:] if last else []
    nodes = [convert(items[i]) for i in positions]
    return {
        "totalCount": len(items),
        "nodes": nodes,
        "edges": [{"cursor": cursor(i), "node": n} for i, n in zip(positions, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": bool(positions) and positions[-1] < min(end, len(items)) - 1,
            "hasPreviousPage": bool(positions) and positions[0] > 0,
            "startCursor": cursor(positions[0]) if positions else None,
            "endCursor": cursor(positions[-1]) if positions else None,
        },
    }


def _ordered(
    items: Iterable[Any], order: Obj | None, keys: dict[str, Callable[[Any], Any]], default: str
) -> list[Any]:
    field_name = (order or {}).get("field", default)
    descending = (order or {}).get("direction", "ASC") == "DESC"
    return sorted(items, key=keys[field_name], reverse=descending)


# The world ---------------------------------------------------------------------------


@dataclass
class FakeWorld:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    old_names: dict[str, FakeRepo] = field(default_factory=dict)

    def add(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name.lower()] = repo
        return repo

    def rename(self, repo: FakeRepo, old_full_name: str) -> None:
        self.old_names[old_full_name.lower()] = repo

    def find(self, full_name: str) -> FakeRepo | None:
        key = full_name.lower()
        return self.repos.get(key) or self.old_names.get(key)

    def by_id(self, database_id: int) -> FakeRepo | None:
        return next((r for r in self.repos.values() if r.database_id == database_id), None)

    # GraphQL root ----------------------------------------------------------------------

    def root(self, can_read: Callable[[FakeRepo], bool], rate_limit: Obj) -> Obj:
        def repository(_info: Any, owner: str, name: str, followRenames: bool = True) -> Obj:
            repo = self.repos.get(f"{owner}/{name}".lower())
            if repo is None and followRenames:
                repo = self.old_names.get(f"{owner}/{name}".lower())
            if repo is None or not can_read(repo):
                raise ResolverError(
                    "NOT_FOUND",
                    f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                )
            return self._repository(repo)

        def node(_info: Any, id: str) -> Obj | None:
            for repo in self.repos.values():
                if not can_read(repo):
                    continue
                for pull in repo.pulls:
                    if pull.node_id == id:
                        return self._pull(repo, pull)
                for issue in repo.issues:
                    if issue.node_id == id:
                        return self._issue(repo, issue)
            raise ResolverError(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{id}'"
            )

        def search(_info: Any, query: str, type: str, **page: Any) -> Obj:
            matches = self._search(query, can_read) if type == "ISSUE" else []
            result = connection(matches, lambda _item: {"__typename": "Issue"}, **page)
            result["issueCount"] = len(matches)
            return result

        def repository_owner(_info: Any, login: str) -> Obj | None:
            owned = sorted(
                (
                    r
                    for r in self.repos.values()
                    if r.owner.lower() == login.lower() and can_read(r)
                ),
                key=lambda r: r.name.lower(),
            )
            if not owned and not any(r.owner.lower() == login.lower() for r in self.repos.values()):
                return None  # GitHub answers null (and a NOT_FOUND error) for no such login
            return {
                "__typename": "Organization",
                "login": owned[0].owner if owned else login,
                "repositories": lambda _info, **args: self._owner_repositories(owned, **args),
            }

        return {
            "repository": repository,
            "repositoryOwner": repository_owner,
            "node": node,
            "search": search,
            "rateLimit": lambda _info, dryRun=False: rate_limit,
        }

    def _search(self, query: str, can_read: Callable[[FakeRepo], bool]) -> list[Any]:
        terms = dict(re.findall(r"(\w+):(\S+)", query))
        repo = self.find(terms.get("repo", ""))
        if repo is None or not can_read(repo):
            return []
        author = terms.get("author", "").lower().removeprefix("app/")
        before = parse_time(terms["created"].removeprefix("<")) if "created" in terms else None
        items: list[FakePull | FakeIssue] = [*repo.pulls, *repo.issues]
        if terms.get("is") == "pr":
            items = list(repo.pulls)
        elif terms.get("is") == "issue":
            items = list(repo.issues)
        return [
            item
            for item in items
            if (
                not author
                or (item.author and item.author.login.lower().removesuffix("[bot]") == author)
            )
            and (before is None or item.created_at < before)
        ]

    def _owner_repositories(
        self,
        owned: list[FakeRepo],
        isArchived: bool | None = None,
        isFork: bool | None = None,
        **page: Any,
    ) -> Obj:
        chosen = [
            r
            for r in owned
            if (isArchived is None or r.archived == isArchived)
            and (isFork is None or r.fork == isFork)
        ]
        return connection(chosen, self._repository, **_page_args(page))

    def _repository(self, repo: FakeRepo) -> Obj:
        head = max(repo.commits, key=lambda c: c.committed_at) if repo.commits else None
        return {
            "__typename": "Repository",
            "id": repo.node_id,
            "nameWithOwner": repo.full_name,
            "name": repo.name,
            "url": repo.html_url,
            "isPrivate": repo.private,
            "isArchived": repo.archived,
            "isFork": repo.fork,
            "defaultBranchRef": (
                {"name": repo.default_branch, "target": self._commit(repo, head, head=True)}
                if head
                else None
            ),
            "pullRequests": lambda _info, **args: self._pulls(repo, **args),
            "issues": lambda _info, **args: self._issues(repo, **args),
            "releases": lambda _info, **args: self._releases(repo, **args),
            "refs": lambda _info, **args: self._refs(repo, **args),
        }

    def _pulls(
        self,
        repo: FakeRepo,
        states: list[str] | None = None,
        orderBy: Obj | None = None,
        **page: Any,
    ) -> Obj:
        items = [p for p in repo.pulls if not states or p.state in states]
        keys = {
            "CREATED_AT": lambda p: p.created_at,
            "UPDATED_AT": lambda p: p.updated_at,
            "COMMENTS": lambda p: 0,
        }
        ordered = _ordered(items, orderBy, keys, "CREATED_AT")
        return connection(ordered, lambda p: self._pull(repo, p), **_page_args(page))

    def _pull(self, repo: FakeRepo, pull: FakePull) -> Obj:
        def reviews(_info: Any, **page: Any) -> Obj:
            return connection(pull.reviews, _review, **_page_args(page))

        def labels(_info: Any, **page: Any) -> Obj:
            return connection(pull.labels, lambda name: {"name": name}, **_page_args(page))

        def review_requests(_info: Any, **page: Any) -> Obj:
            return connection(pull.review_requests, _review_request, **_page_args(page))

        def timeline(_info: Any, itemTypes: list[str] | None = None, **page: Any) -> Obj:
            wanted = {t.replace("_", "").lower() for t in itemTypes or []}
            events = [
                e
                for e in sorted(pull.draft_events, key=lambda e: e[1])
                if not wanted or e[0].lower() in wanted
            ]
            return connection(
                events, lambda e: {"__typename": e[0], "createdAt": iso(e[1])}, **_page_args(page)
            )

        return {
            "__typename": "PullRequest",
            "id": pull.node_id,
            "number": pull.number,
            "title": pull.title,
            "bodyText": pull.body,
            "url": f"{repo.html_url}/pull/{pull.number}",
            "state": pull.state,
            "isDraft": pull.is_draft,
            "createdAt": iso(pull.created_at),
            "updatedAt": iso(pull.updated_at),
            "mergedAt": iso(pull.merged_at),
            "closedAt": iso(pull.closed_at),
            "additions": pull.additions,
            "deletions": pull.deletions,
            "changedFiles": pull.changed_files,
            "baseRefName": pull.base_ref,
            "author": pull.author.actor() if pull.author else None,
            "labels": labels,
            "reviews": reviews,
            "reviewRequests": review_requests,
            "timelineItems": timeline,
            "headRef": (
                {"target": {"__typename": "Commit", "committedDate": iso(pull.head_committed_at)}}
                if pull.head_committed_at
                else None
            ),
        }

    def _issues(
        self,
        repo: FakeRepo,
        states: list[str] | None = None,
        orderBy: Obj | None = None,
        filterBy: Obj | None = None,
        **page: Any,
    ) -> Obj:
        filters = filterBy or {}
        since = parse_time(filters.get("since"))
        wanted = states or filters.get("states")
        items = [
            i
            for i in repo.issues
            if (not wanted or i.state in wanted)
            and (since is None or i.updated_at >= since)
            and (
                not filters.get("createdBy")
                or (i.author and i.author.login == filters["createdBy"])
            )
        ]
        keys = {
            "CREATED_AT": lambda i: i.created_at,
            "UPDATED_AT": lambda i: i.updated_at,
            "COMMENTS": lambda i: 0,
        }
        ordered = _ordered(items, orderBy, keys, "CREATED_AT")
        return connection(ordered, lambda i: self._issue(repo, i), **_page_args(page))

    def _issue(self, repo: FakeRepo, issue: FakeIssue) -> Obj:
        return {
            "__typename": "Issue",
            "id": issue.node_id,
            "number": issue.number,
            "title": issue.title,
            "url": f"{repo.html_url}/issues/{issue.number}",
            "state": issue.state,
            "stateReason": lambda _info, **_args: issue.state_reason,
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "closedAt": iso(issue.closed_at),
            "author": issue.author.actor() if issue.author else None,
            "labels": lambda _info, **page: connection(
                issue.labels, lambda name: {"name": name}, **_page_args(page)
            ),
            "comments": lambda _info, **page: connection(
                sorted(issue.comments, key=lambda comment: comment[1]),
                lambda comment: {
                    "author": comment[0].actor() if comment[0] else None,
                    "createdAt": iso(comment[1]),
                },
                **_page_args(page),
            ),
        }

    def _commit(self, repo: FakeRepo, commit: FakeCommit, *, head: bool = False) -> Obj:
        obj: Obj = {
            "__typename": "Commit",
            "oid": commit.oid,
            "url": f"{repo.html_url}/commit/{commit.oid}",
            "messageHeadline": commit.message.splitlines()[0] if commit.message else "",
            "message": commit.message,
            "committedDate": iso(commit.committed_at),
            "authoredDate": iso(commit.authored_at),
            "parents": lambda _info, **page: {
                "totalCount": commit.parents,
                "nodes": [],
                "edges": [],
            },
            "author": _git_actor(
                commit.author_name, commit.author_email, commit.authored_at, commit.account
            ),
            "committer": _git_actor(
                commit.author_name, commit.author_email, commit.committed_at, commit.account
            ),
        }
        obj["associatedPullRequests"] = lambda _info, **page: connection(
            [commit.pull] if commit.pull is not None else [],
            lambda number: {"number": number},
            **_page_args(page),
        )
        if head:
            obj["history"] = lambda _info, **args: self._history(repo, **args)
        return obj

    def _history(
        self,
        repo: FakeRepo,
        since: str | None = None,
        until: str | None = None,
        author: Obj | None = None,
        **page: Any,
    ) -> Obj:
        start, end = parse_time(since), parse_time(until)
        items = [
            c
            for c in sorted(repo.commits, key=lambda c: c.committed_at, reverse=True)
            if (start is None or c.committed_at >= start)
            and (end is None or c.committed_at <= end)  # GitHub's `until` includes its second
            and _authored_by(c, author)
        ]
        head = max(repo.commits, key=lambda c: c.committed_at).oid
        return connection(
            items,
            lambda c: self._commit(repo, c),
            # GitHub's history cursors are "<head sha> <offset>", as recorded.
            cursor=lambda i: f"{head} {i}",
            index=_history_index,
            **_page_args(page),
        )

    def _releases(self, repo: FakeRepo, orderBy: Obj | None = None, **page: Any) -> Obj:
        keys = {"CREATED_AT": lambda r: r.created_at, "NAME": lambda r: r.name or ""}
        ordered = _ordered(repo.releases, orderBy, keys, "CREATED_AT")

        def convert(release: FakeRelease) -> Obj:
            return {
                "tagName": release.tag_name,
                "name": release.name,
                "url": f"{repo.html_url}/releases/tag/{release.tag_name}",
                "isDraft": release.is_draft,
                "isPrerelease": release.is_prerelease,
                "createdAt": iso(release.created_at),
                "publishedAt": iso(release.published_at),
                "author": release.author.actor() if release.author else None,
            }

        return connection(ordered, convert, **_page_args(page))

    def _refs(self, repo: FakeRepo, refPrefix: str, orderBy: Obj | None = None, **page: Any) -> Obj:
        if refPrefix != "refs/tags/":
            return connection([], lambda _x: {}, **_page_args(page))
        keys = {"TAG_COMMIT_DATE": lambda t: t.commit_date, "ALPHABETICAL": lambda t: t.name}
        ordered = _ordered(repo.tags, orderBy, keys, "ALPHABETICAL")

        def convert(tag: FakeTag) -> Obj:
            commit = {"__typename": "Commit", "oid": tag.oid, "committedDate": iso(tag.commit_date)}
            if tag.tagger_date is None:
                return {"name": tag.name, "target": commit}
            annotated = {
                "__typename": "Tag",
                "oid": "a" + tag.oid[1:],
                "tagger": {"date": iso(tag.tagger_date)},
                "target": commit,
            }
            return {"name": tag.name, "target": annotated}

        return connection(ordered, convert, **_page_args(page))


def _history_index(cursor: str) -> int:
    try:
        return int(cursor.rsplit(" ", 1)[1])
    except (ValueError, IndexError) as error:
        raise ResolverError(
            "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
        ) from error


def _page_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args[k] for k in ("first", "last", "after", "before") if k in args}


def _review(review: FakeReview) -> Obj:
    return {
        "author": review.author.actor() if review.author else None,
        "state": review.state,
        "submittedAt": iso(review.submitted_at),
    }


def _review_request(reviewer: FakeAccount | str) -> Obj:
    if isinstance(reviewer, str):
        return {"requestedReviewer": {"__typename": "Team", "combinedSlug": reviewer}}
    return {"requestedReviewer": reviewer.actor()}


def _git_actor(name: str, email: str, date: datetime, account: FakeAccount | None) -> Obj:
    user = account.actor() if account is not None and account.kind == "User" else None
    return {"name": name, "email": email, "date": iso(date), "user": user}


def _authored_by(commit: FakeCommit, author: Obj | None) -> bool:
    if not author:
        return True
    if author.get("id"):
        return commit.account is not None and commit.account.node_id == author["id"]
    emails = {e.lower() for e in author.get("emails") or []}
    return commit.author_email.lower() in emails


# Recorded payloads → the world ---------------------------------------------------------


def _load(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def recorded_interactions(relative: str) -> list[Obj]:
    document = _load(relative)
    interactions: list[Obj] = document["interactions"] if isinstance(document, dict) else document
    return interactions


class _Accounts:
    def __init__(self) -> None:
        self.known: dict[str, FakeAccount] = {}

    def get(self, user: Obj | None) -> FakeAccount | None:
        if not user or not user.get("login"):
            return None
        login = str(user["login"])
        if login not in self.known:
            kind = "Bot" if user.get("type") == "Bot" or user.get("__typename") == "Bot" else "User"
            node_id = user.get("node_id") or _node_id("U")
            self.known[login] = FakeAccount(login=login, kind=kind, node_id=node_id)
        return self.known[login]


def _pull_from_rest(body: Obj, accounts: _Accounts) -> FakePull:
    merged_at = parse_time(body.get("merged_at"))
    state = "MERGED" if merged_at else str(body["state"]).upper()
    reviewers: list[FakeAccount | str] = [
        a for a in (accounts.get(u) for u in body.get("requested_reviewers") or []) if a
    ]
    reviewers += [
        f"{body['base']['repo']['owner']['login']}/{t['slug']}"
        for t in body.get("requested_teams") or []
    ]
    created = required_time(body["created_at"])
    updated = required_time(body["updated_at"])
    return FakePull(
        number=int(body["number"]),
        title=str(body["title"]),
        author=accounts.get(body.get("user")),
        created_at=created,
        updated_at=updated,
        state=state,
        is_draft=bool(body.get("draft")),
        merged_at=merged_at,
        closed_at=parse_time(body.get("closed_at")),
        labels=[label["name"] for label in body.get("labels") or []],
        review_requests=reviewers,
        additions=int(body.get("additions") or 0),
        deletions=int(body.get("deletions") or 0),
        changed_files=int(body.get("changed_files") or 0),
        base_ref=str(body.get("base", {}).get("ref", "main")),
        node_id=str(body.get("node_id") or _node_id("PR")),
        body=str(body.get("body") or ""),
    )


def _github3py(accounts: _Accounts) -> FakeRepo:
    repo = FakeRepo("sigmavirus24", "github3.py", database_id=3710711, default_branch="main")
    pages = recorded_interactions("rest/recorded/github3py.pull-get-and-reviews-list.json")
    pull = _pull_from_rest(pages[0]["response"]["body"], accounts)
    pull.reviews = [
        FakeReview(accounts.get(r["user"]), r["state"], parse_time(r.get("submitted_at")))
        for r in pages[1]["response"]["body"]
    ]
    merged = _pull_from_rest(
        recorded_interactions("rest/recorded/github3py.pull-get.json")[0]["response"]["body"],
        accounts,
    )
    repo.pulls = [pull, merged]
    listed = recorded_interactions("rest/recorded/github3py.commits-list-with-link.json")[0]
    for item in listed["response"]["body"]:
        git = item["commit"]
        committed = required_time(git["committer"]["date"])
        authored = required_time(git["author"]["date"])
        repo.commits.append(
            FakeCommit(
                oid=item["sha"],
                message=git["message"],
                author_name=git["author"]["name"],
                author_email=git["author"]["email"],
                committed_at=committed,
                authored_at=authored,
                parents=len(item["parents"]),
                account=accounts.get(item.get("author")),
            )
        )
    releases = recorded_interactions("rest/recorded/github3py.releases-list.json")[0]
    for body in releases["response"]["body"]:
        created = required_time(body["created_at"])
        repo.releases.append(
            FakeRelease(
                tag_name=body["tag_name"],
                name=body.get("name"),
                created_at=created,
                published_at=parse_time(body.get("published_at")),
                author=accounts.get(body.get("author")),
                is_draft=bool(body.get("draft")),
                is_prerelease=bool(body.get("prerelease")),
            )
        )
    return repo


def _release_drafter(accounts: _Accounts) -> FakeRepo:
    repo = FakeRepo("toolmantim", "release-drafter-test-project", default_branch="merge-commit")
    document = _load("graphql/release-drafter/commit-history.merge-commit.json")
    history = document["data"]["repository"]["object"]["history"]
    pulls: dict[int, FakePull] = {}
    for node in history["nodes"]:
        committed = required_time(node["committedDate"])
        user = node["author"].get("user") or {}
        account = accounts.get({"login": user["login"]}) if user.get("login") else None
        # The recording has no parent list; GitHub's merge button writes this message.
        parents = 2 if node["message"].startswith("Merge pull request") else 1
        repo.commits.append(
            FakeCommit(
                oid=base64.b64decode(node["id"]).decode().rsplit(":", 1)[1],
                message=node["message"],
                author_name=node["author"]["name"],
                author_email=f"{(user.get('login') or 'someone').lower()}@users.noreply.github.com",
                committed_at=committed,
                authored_at=committed,
                parents=parents,
                account=account,
                pull=next((pr["number"] for pr in node["associatedPullRequests"]["nodes"]), None),
            )
        )
        for pr in node["associatedPullRequests"]["nodes"]:
            merged_at = parse_time(pr.get("mergedAt"))
            if pr["number"] in pulls or merged_at is None:
                continue
            # The recording knows when each was merged, not when it was opened.
            pulls[pr["number"]] = FakePull(
                number=pr["number"],
                title=pr["title"],
                author=accounts.get(pr["author"]),
                created_at=merged_at - timedelta(hours=1),
                updated_at=merged_at,
                state="MERGED",
                merged_at=merged_at,
                closed_at=merged_at,
                labels=[label["name"] for label in pr["labels"]["nodes"]],
                base_ref=pr["baseRefName"],
            )
    repo.pulls = list(pulls.values())
    return repo


def _release_drafter_history(accounts: _Accounts) -> FakeRepo:
    """The two recorded pages (100 + 20 commits) of release-drafter's own history. The
    recording has no dates: they are set an hour apart, newest first, in its order."""
    repo = FakeRepo("release-drafter", "release-drafter", default_branch="master")
    newest = datetime(2019, 1, 8, tzinfo=UTC)
    for page in (1, 2):
        document = _load(f"graphql/release-drafter/commit-history.paginated-page-{page}.json")
        for node in document["data"]["repository"]["object"]["history"]["nodes"]:
            at = newest - timedelta(hours=len(repo.commits))
            user = node["author"].get("user") or {}
            login = user.get("login")
            repo.commits.append(
                FakeCommit(
                    oid=base64.b64decode(node["id"]).decode().rsplit(":", 1)[1],
                    message=node["message"],
                    author_name=node["author"]["name"],
                    author_email=f"{(login or 'someone').lower()}@users.noreply.github.com",
                    committed_at=at,
                    authored_at=at,
                    account=accounts.get({"login": login}) if login else None,
                )
            )
    return repo


def _betamax(accounts: _Accounts) -> FakeRepo:
    repo = FakeRepo("betamaxpy", "betamax", database_id=11439734)
    pulls = recorded_interactions("rest/recorded/github3py.pulls-list-after-301-redirect.json")[2]
    repo.pulls = [_pull_from_rest(body, accounts) for body in pulls["response"]["body"]]
    return repo


def _paginated_issues(accounts: _Accounts) -> FakeRepo:
    scenario = _load("rest/octokit-fixtures/paginate-issues.raw-fixture.json")
    created = [i["response"] for i in scenario if i["method"] == "post" and "/issues" in i["path"]]
    owner, _, name = created[0]["repository_url"].split("/repos/")[1].partition("/")
    repo = FakeRepo(owner, name, database_id=515435940)
    for body in created:
        opened, updated = required_time(body["created_at"]), required_time(body["updated_at"])
        repo.issues.append(
            FakeIssue(
                number=body["number"],
                title=body["title"],
                author=accounts.get(body["user"]),
                created_at=opened,
                updated_at=updated,
                state=str(body["state"]).upper(),
                labels=[label["name"] for label in body.get("labels") or []],
                node_id=body["node_id"],
            )
        )
    return repo


def recorded_world() -> FakeWorld:
    accounts = _Accounts()
    world = FakeWorld()
    for make in (
        _github3py,
        _release_drafter,
        _release_drafter_history,
        _betamax,
        _paginated_issues,
    ):
        world.add(make(accounts))
    world.rename(world.repos["betamaxpy/betamax"], "sigmavirus24/betamax")
    return world


# Generated repositories ----------------------------------------------------------------


@dataclass
class Generated:
    repo: FakeRepo
    people: list[FakeAccount]
    newcomers: set[str]  # logins whose first contribution falls in the window


def generate_repo(
    world: FakeWorld,
    owner: str,
    name: str,
    since: datetime,
    until: datetime,
    per_kind: int,
    *,
    seed: int = 1,
    older: int | None = None,
    stale_open: int = 3,
    people: int = 12,
    newcomers: int | None = None,
) -> Generated:
    """A repository with `per_kind` pull requests, issues and commits in the window, as
    many again (or `older`) from before it, a few open pull requests untouched since
    before the window, three releases and three tags. Some people appear for the first
    time in the window; a dependency bot opens some pull requests."""
    rng = random.Random(seed)
    older = per_kind if older is None else older
    span = (until - since).total_seconds()
    repo = world.add(FakeRepo(owner, name))
    team = [
        FakeAccount(f"{name}-dev{n:02d}", name=f"Dev {n}", email=f"dev{n}@{name}.example")
        for n in range(people)
    ]
    bot = FakeAccount("dependabot", kind="Bot")
    newcomer_count = max(1, people // 4) if newcomers is None else newcomers
    new_logins = {a.login for a in team[:newcomer_count]}
    veterans = [a for a in team if a.login not in new_logins]

    def in_window() -> datetime:
        return since + timedelta(seconds=rng.uniform(0, span - 1))

    def before_window() -> datetime:
        return since - timedelta(seconds=rng.uniform(60, 90 * 86400))

    number = itertools.count(1)
    for index in range(older):
        created = before_window()
        author = rng.choice(veterans)
        repo.pulls.append(
            FakePull(
                next(number),
                f"Old change {index}",
                author,
                created,
                created,
                state="MERGED",
                merged_at=created,
                closed_at=created,
            )
        )
        repo.issues.append(
            FakeIssue(
                next(number),
                f"Old report {index}",
                rng.choice(veterans),
                created,
                created,
                state="CLOSED",
                closed_at=created,
            )
        )
        # Every veteran has committed before (round robin), some long ago.
        repo.commits.append(_generated_commit(rng, veterans[index % len(veterans)], created, index))
    for index in range(stale_open):
        created = before_window()
        repo.pulls.append(
            FakePull(
                next(number), f"Forgotten idea {index}", rng.choice(veterans), created, created
            )
        )
    for index in range(per_kind):
        author = bot if index % 10 == 9 else rng.choice(team)
        repo.pulls.append(_generated_pull(rng, next(number), author, team, in_window, until))
        issue_at = in_window()
        closed = rng.random() < 0.4
        repo.issues.append(
            FakeIssue(
                next(number),
                f"Report {index}",
                rng.choice(team),
                issue_at,
                issue_at + timedelta(minutes=5),
                state="CLOSED" if closed else "OPEN",
                closed_at=issue_at + timedelta(minutes=5) if closed else None,
                labels=["bug"] if index % 3 == 0 else [],
            )
        )
        commit = _generated_commit(rng, rng.choice(team), in_window(), older + index)
        commit.parents = 2 if index % 7 == 6 else 1
        repo.commits.append(commit)
    for index in range(3):
        at = in_window()
        repo.releases.append(
            FakeRelease(
                f"v1.{index}.0",
                at,
                at,
                name=f"1.{index}.0",
                author=veterans[0],
                is_prerelease=index == 2,
            )
        )
        repo.tags.append(
            FakeTag(f"v1.{index}.0", f"{index:040x}", at, tagger_date=at if index % 2 else None)
        )
    repo.releases.append(FakeRelease("v0.9.0", before_window(), None, is_draft=True))
    repo.tags.append(FakeTag("v0.9.0", "9" * 40, before_window()))
    return Generated(repo, team, new_logins)


def _generated_commit(
    rng: random.Random, author: FakeAccount, at: datetime, index: int
) -> FakeCommit:
    return FakeCommit(
        oid=f"{rng.getrandbits(128):032x}{index:08x}",
        message=f"Change {index}\n\nDetails.",
        author_name=author.name or author.login,
        author_email=author.email or f"{author.login}@example.com",
        committed_at=at,
        authored_at=at - timedelta(minutes=30),
        account=author,
    )


def _generated_pull(
    rng: random.Random,
    number: int,
    author: FakeAccount,
    team: list[FakeAccount],
    in_window: Callable[[], datetime],
    until: datetime,
) -> FakePull:
    created = in_window()
    pull = FakePull(
        number,
        f"Change #{number}",
        author,
        created,
        created,
        additions=rng.randint(1, 400),
        deletions=rng.randint(0, 200),
        changed_files=rng.randint(1, 20),
    )
    fate = rng.random()
    reviewers = [a for a in team if a is not author]
    for minutes in range(rng.randint(0, 3)):
        at = min(created + timedelta(minutes=20 * (minutes + 1)), until - timedelta(seconds=1))
        pull.reviews.append(
            FakeReview(
                rng.choice(reviewers),
                rng.choice(["APPROVED", "COMMENTED", "CHANGES_REQUESTED"]),
                at,
            )
        )
    if number % 5 == 0:
        pull.labels = ["dependencies"] if author.kind == "Bot" else ["enhancement"]
    if number % 11 == 0:
        pull.draft_events = [("ReadyForReviewEvent", created + timedelta(minutes=5))]
    last = max([created, *(r.submitted_at for r in pull.reviews if r.submitted_at)])
    if fate < 0.5:
        pull.state, pull.merged_at, pull.closed_at = (
            "MERGED",
            last + timedelta(minutes=1),
            last + timedelta(minutes=1),
        )
    elif fate < 0.6:
        pull.state, pull.closed_at = "CLOSED", last + timedelta(minutes=1)
    else:
        pull.review_requests = [rng.choice(reviewers)]
    pull.updated_at = max(last, pull.closed_at or last)
    return pull
