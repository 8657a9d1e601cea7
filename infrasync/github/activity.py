"""A window of activity for many repositories on one token, in as few requests as GitHub
allows.

Round by round: every repository still missing pages gets a part in the next query,
and parts are packed into as few queries as `queries.NODE_BUDGET` allows, so a week of
up to 100 items per kind costs one request, and a hundred repositories a handful.
Lists GitHub cannot filter by date are ordered by update time and left as soon as a
page reaches past the window. A repository that fails (renamed away, no access) fails
alone; a token that fails (revoked, rate limited) fails the whole call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from infrasync.github import normalize
from infrasync.github.client import GitHubClient, GraphQLErrorInfo, GraphQLResult
from infrasync.github.errors import (
    GitHubAccessDenied,
    GitHubError,
    GitHubRepositoryNotFound,
    GitHubRequestFailed,
    GitHubUnavailable,
)
from infrasync.github.first_time import EarlierCommits, mark_first_timers
from infrasync.github.queries import (
    ACTIVITY_KINDS,
    KINDS,
    NODE_BUDGET,
    Kind,
    NestedField,
    NestedPart,
    Part,
    RepoPart,
    batch_query,
    nested_alias,
    pack,
    repo_alias,
)
from infrasync.github.repo_ref import RepoRef as RepoRef
from infrasync.kit.aio import run_all
from infrasync.kit.time import utcnow
from infrasync.sources.bots import DEFAULT_POLICY, BotPolicy
from infrasync.sources.model import (
    Activity,
    ActivityFailure,
    ActivityOutcome,
    SourceInfo,
    Window,
    contributors_in,
    parse_github_time,
)

Node = dict[str, Any]


@dataclass(frozen=True)
class ActivityRequest:
    repo: RepoRef
    window: Window
    bots: BotPolicy = DEFAULT_POLICY
    # Whether the monitor counts bots as people. When it does not, nobody asks GitHub
    # whether a bot is new here (its `first_time` stays None unless the week shows it).
    count_bots: bool = False
    # Fetch pull request descriptions: a monitor's opt-in for the AI writer's facts.
    descriptions: bool = False


@dataclass
class _RepoState:
    request: ActivityRequest
    pending: dict[Kind, str | None]
    raw: dict[Kind, list[Node]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    meta: Node = field(default_factory=dict)
    failure: GitHubError | None = None
    earlier_complete: bool = False

    def next_part(self) -> RepoPart | None:
        if self.failure is not None or not self.pending:
            return None
        repo, window = self.request.repo, self.request.window
        return RepoPart(
            repo.owner,
            repo.name,
            window.since,
            window.until,
            dict(self.pending),
            descriptions=self.request.descriptions,
        )


@dataclass
class _Nested:
    """A pull request's or issue's connection with more pages than the first query got."""

    state: _RepoState
    node: Node
    part: NestedPart


async def fetch_activity(
    client: GitHubClient,
    requests: Sequence[ActivityRequest],
    *,
    first_time: bool = True,
    node_budget: int = NODE_BUDGET,
) -> list[ActivityOutcome]:
    """The activity of each requested repository, in the order asked; with
    `first_time`, contributors are marked whether it is their first contribution."""
    kinds = KINDS if first_time else ACTIVITY_KINDS
    states = [_RepoState(request, dict.fromkeys(kinds)) for request in requests]
    nested: list[_Nested] = []
    while True:
        work: list[tuple[Part, _RepoState | _Nested]] = []
        for state in states:
            part = state.next_part()
            if part is not None:
                work.append((part, state))
        work.extend((item.part, item) for item in nested)
        if not work:
            break
        nested = []
        await run_all(_run_batch(client, batch, nested) for batch in pack(work, node_budget))
    activities = [_activity(state) for state in states]
    if not first_time:
        return activities
    hints = [_earlier_hint(state) for state in states]
    return await mark_first_timers(client, activities, hints, node_budget)


async def _run_batch(
    client: GitHubClient,
    batch: list[tuple[Part, _RepoState | _Nested]],
    nested: list[_Nested],
) -> None:
    request = batch_query([part for part, _ in batch])
    result = await client.graphql(request.query, request.variables)
    for index, (part, owner) in enumerate(batch):
        if isinstance(owner, _RepoState):
            assert isinstance(part, RepoPart)
            _absorb_repo(owner, part, result, repo_alias(index), nested)
        else:
            _absorb_nested(owner, result, nested_alias(index), nested)


def _failure_for(state: _RepoState, errors: list[GraphQLErrorInfo]) -> GitHubError:
    repo = state.request.repo.full_name
    kinds = {error.type for error in errors}
    if "NOT_FOUND" in kinds or not errors:
        return GitHubRepositoryNotFound(repo)
    if "FORBIDDEN" in kinds:
        return GitHubAccessDenied(f"GitHub refused access to {repo}: {errors[0].message}")
    if errors[0].message.lower().startswith("something went wrong"):
        # GitHub ran out of time on this part of the query: worth another try later.
        return GitHubUnavailable(f"GitHub timed out reading {repo}; it will be tried again.")
    return GitHubRequestFailed(f"GitHub could not read {repo}: {errors[0].message}")


def _absorb_repo(
    state: _RepoState, part: RepoPart, result: GraphQLResult, alias: str, nested: list[_Nested]
) -> None:
    data = result.data.get(alias)
    errors = result.errors_at(alias)
    # A partly answered repository would be an incomplete digest: fail it instead.
    if data is None or errors:
        state.failure = _failure_for(state, errors)
        return
    default_branch = data.get("defaultBranchRef") or {}
    state.meta = {
        "nameWithOwner": data.get("nameWithOwner"),
        "url": data.get("url"),
        "isPrivate": data.get("isPrivate"),
        "defaultBranch": default_branch.get("name"),
        # The head as the first page saw it: later pages may see a newer push.
        "revision": state.meta.get("revision") or (default_branch.get("target") or {}).get("oid"),
    }
    for kind in part.pages:
        connection = _connection(data, kind)
        if connection is None:  # an empty repository has no default branch
            state.pending.pop(kind, None)
            state.earlier_complete = state.earlier_complete or kind == "earlier"
            continue
        nodes = [node for node in connection.get("nodes") or [] if node]
        kept, reached_end = _within_window(kind, nodes, state.request.window)
        state.raw[kind].extend(kept)
        for node in kept:
            nested.extend(_continuations(state, kind, node))
        page = connection.get("pageInfo") or {}
        if kind == "earlier":
            state.earlier_complete = not page.get("hasNextPage")
        if reached_end or not page.get("hasNextPage"):
            state.pending.pop(kind, None)
        else:
            state.pending[kind] = page.get("endCursor")


def _connection(data: Node, kind: Kind) -> Node | None:
    if kind in ("commits", "earlier"):
        target = (data.get("defaultBranchRef") or {}).get("target") or {}
        history: Node | None = target.get("history" if kind == "commits" else "earlier")
        return history
    key = {
        "pulls": "pullRequests",
        "open_pulls": "openPullRequests",
        "issues": "issues",
        "releases": "releases",
        "tags": "refs",
    }[kind]
    found: Node | None = data.get(key)
    return found


def _within_window(kind: Kind, nodes: list[Node], window: Window) -> tuple[list[Node], bool]:
    """(the nodes to keep, whether this list needs no further page)."""
    since, until = window.since, window.until
    if kind == "pulls":
        # Newest update first: the first node updated before the window ends the walk.
        kept = [n for n in nodes if _at(n, "updatedAt") >= since]
        return kept, len(kept) < len(nodes)
    if kind == "open_pulls":
        # Oldest update first: from the first node updated in the window on, the other
        # list has them all.
        kept = [n for n in nodes if _at(n, "updatedAt") < since]
        return kept, len(kept) < len(nodes)
    if kind == "issues":
        return [n for n in nodes if _at(n, "updatedAt") >= since], False
    if kind == "commits":
        return [n for n in nodes if since <= _at(n, "committedDate") < until], False
    if kind == "earlier":
        return nodes, True  # one page is all it is meant to be
    if kind == "releases":
        kept = [n for n in nodes if _at(n, "createdAt") >= since or _published_since(n, since)]
        return kept, any(_at(n, "createdAt") < since for n in nodes)
    dated = [(n, normalize.tag_date(n)) for n in nodes]
    kept = [n for n, at in dated if at is not None and at >= since]
    return kept, any(at is not None and at < since for _, at in dated)


def _at(node: Node, key: str) -> datetime:
    moment = parse_github_time(node.get(key))
    if moment is None:
        raise GitHubRequestFailed(f"GitHub sent a node without {key}")
    return moment


def _published_since(node: Node, since: datetime) -> bool:
    published = parse_github_time(node.get("publishedAt"))
    return published is not None and published >= since


_NESTED_FIELDS: dict[Kind, tuple[NestedField, ...]] = {
    "pulls": ("reviews", "labels", "reviewRequests"),
    "open_pulls": ("reviews", "labels", "reviewRequests"),
    "issues": ("labels",),
}


def _continuations(state: _RepoState, kind: Kind, node: Node) -> list[_Nested]:
    found = []
    on_type: Literal["Issue", "PullRequest"] = "Issue" if kind == "issues" else "PullRequest"
    for name in _NESTED_FIELDS.get(kind, ()):
        page = (node.get(name) or {}).get("pageInfo") or {}
        if page.get("hasNextPage") and page.get("endCursor") and node.get("id"):
            part = NestedPart(str(node["id"]), on_type, name, str(page["endCursor"]))
            found.append(_Nested(state, node, part))
    return found


def _absorb_nested(item: _Nested, result: GraphQLResult, alias: str, nested: list[_Nested]) -> None:
    data = result.data.get(alias) or {}
    errors = result.errors_at(alias)
    connection = data.get(item.part.field)
    if errors or not isinstance(connection, dict):
        item.state.failure = _failure_for(item.state, errors)
        return
    existing = item.node.setdefault(item.part.field, {}).setdefault("nodes", [])
    existing.extend(node for node in connection.get("nodes") or [] if node)
    page = connection.get("pageInfo") or {}
    if page.get("hasNextPage") and page.get("endCursor"):
        part = NestedPart(item.part.node_id, item.part.on_type, item.part.field, page["endCursor"])
        nested.append(_Nested(item.state, item.node, part))


def _earlier_hint(state: _RepoState) -> EarlierCommits:
    """Who made the last non-merge commits before the window (a few hundred nodes in the
    first query that settle most people without a question each)."""
    authors = frozenset(
        normalize.git_actor(node.get("author"), state.request.bots).key
        for node in state.raw["earlier"]
        if int((node.get("parents") or {}).get("totalCount") or 0) < 2
    )
    return EarlierCommits(
        authors=authors,
        complete=state.earlier_complete,
        count_bots=state.request.count_bots,
    )


def _activity(state: _RepoState) -> ActivityOutcome:
    request = state.request
    if state.failure is not None:
        return ActivityFailure(request.repo.full_name, state.failure)
    bots = request.bots
    pulls: dict[int, Node] = {}
    for node in state.raw["pulls"] + state.raw["open_pulls"]:
        pulls.setdefault(int(node["number"]), node)
    pull_requests = tuple(normalize.pull_request(node, bots) for node in pulls.values())
    issues = tuple(normalize.issue(node, bots) for node in state.raw["issues"])
    commits = tuple(normalize.commit(node, bots) for node in state.raw["commits"])
    releases = tuple(normalize.release(node, bots) for node in state.raw["releases"])
    tags = tuple(t for t in (normalize.tag(node) for node in state.raw["tags"]) if t)
    name = str(state.meta.get("nameWithOwner") or request.repo.full_name)
    requested = request.repo.full_name
    return Activity(
        source=SourceInfo(
            kind="github",
            name=name,
            url=state.meta.get("url"),
            default_branch=state.meta.get("defaultBranch"),
            revision=state.meta.get("revision"),
            requested_name=requested if requested.lower() != name.lower() else None,
            is_private=state.meta.get("isPrivate"),
        ),
        window=request.window,
        fetched_at=utcnow(),
        commits=commits,
        pull_requests=pull_requests,
        issues=issues,
        releases=releases,
        tags=tags,
        contributors=contributors_in(request.window, commits, pull_requests, issues, {}),
    )
