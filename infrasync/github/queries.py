"""Every GraphQL query the client sends, built from fixed text and numbered aliases.

User input (owners, names, logins) only ever travels in variables, never in the query
text. `example_parts()` lists one query of every shape, so that a test can validate
each against GitHub's real schema; the fake GitHub validates them again as they arrive.

Sizes: GitHub refuses a query that could return more than 500,000 nodes, charges points
by the number of connections it may have to page through, and kills queries that run
over ten seconds. `NODE_BUDGET` keeps each batched query well inside all three.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from infrasync.github.search_terms import search_author

PAGE_SIZE = 100
RELEASES_PAGE = 20
TAGS_PAGE = 50
LABELS_PAGE = 10
REVIEWS_PAGE = 20
REVIEW_REQUESTS_PAGE = 10
# An issue's first comment and its count: enough to tell, for an issue opened in the
# window, that nobody answered (no comment, or one by its author alone) or that someone
# did; a longer thread whose first comment is its author's stays unknown. One, not more:
# a second would cost 100 nodes a page and, packed, two more requests for 100 busy
# repositories (bench/github_requests.py).
ISSUE_COMMENTS_PAGE = 1
# A pull request's changes between draft and ready for review: its first (what it was
# opened as, when it was first ready) and its latest this many, in the same query, so
# that a PR's draft state at any moment of a recent window is exact for a PR that
# changed up to DRAFT_CHANGES_PAGE + 1 times. Beyond that (rare: each change is a click
# by a person), the changes in between are not known and the state after the first
# change is taken to hold until the earliest of the latest ones.
DRAFT_CHANGES_PAGE = 10
NODE_BUDGET = 150_000
MAX_PARTS_PER_QUERY = 100

Kind = Literal["pulls", "open_pulls", "issues", "commits", "releases", "tags", "earlier"]
# What a digest shows; `earlier` (the last commits before the window, one page, never
# continued) only serves to tell first-time contributors without asking about each.
ACTIVITY_KINDS: tuple[Kind, ...] = ("pulls", "open_pulls", "issues", "commits", "releases", "tags")
KINDS: tuple[Kind, ...] = (*ACTIVITY_KINDS, "earlier")
NestedField = Literal["reviews", "labels", "reviewRequests"]
T = TypeVar("T")


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any]


_DRAFT_EVENT_TYPES = "[READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT]"
_FRAGMENTS = {
    "PageFields": "fragment PageFields on PageInfo { hasNextPage endCursor }",
    "ActorFields": (
        "fragment ActorFields on Actor { __typename login "
        "... on User { id name } ... on Bot { id } }"
    ),
    "ReviewFields": (
        "fragment ReviewFields on PullRequestReview { author { ...ActorFields } state submittedAt }"
    ),
    "ReviewPage": (
        "fragment ReviewPage on PullRequestReviewConnection { pageInfo { ...PageFields } "
        "nodes { ...ReviewFields } }"
    ),
    "LabelPage": (
        "fragment LabelPage on LabelConnection { pageInfo { ...PageFields } nodes { name } }"
    ),
    "ReviewRequestPage": (
        "fragment ReviewRequestPage on ReviewRequestConnection { pageInfo { ...PageFields } "
        "nodes { requestedReviewer { __typename ... on User { login } ... on Bot { login } "
        "... on Mannequin { login } ... on Team { combinedSlug } } } }"
    ),
    "PullRequestFields": (
        "fragment PullRequestFields on PullRequest { id number title url state isDraft "
        "createdAt updatedAt mergedAt closedAt additions deletions changedFiles baseRefName "
        "author { ...ActorFields } "
        # An object, not a connection: the branch's newest commit costs no nodes.
        "headRef { target { __typename ... on Commit { committedDate } } } "
        f"labels(first: {LABELS_PAGE}) {{ ...LabelPage }} "
        f"reviews(first: {REVIEWS_PAGE}) {{ ...ReviewPage }} "
        f"reviewRequests(first: {REVIEW_REQUESTS_PAGE}) {{ ...ReviewRequestPage }} "
        f"firstDraftChange: timelineItems(first: 1, itemTypes: {_DRAFT_EVENT_TYPES}) "
        "{ ...DraftChanges } "
        f"draftChanges: timelineItems(last: {DRAFT_CHANGES_PAGE}, itemTypes: "
        f"{_DRAFT_EVENT_TYPES}) {{ ...DraftChanges }} }}"
    ),
    "DraftChanges": (
        "fragment DraftChanges on PullRequestTimelineItemsConnection { nodes { __typename "
        "... on ReadyForReviewEvent { createdAt } ... on ConvertToDraftEvent { createdAt } } }"
    ),
    "PullRequestPage": (
        "fragment PullRequestPage on PullRequestConnection { pageInfo { ...PageFields } "
        "nodes { ...PullRequestFields } }"
    ),
    "IssuePage": (
        "fragment IssuePage on IssueConnection { pageInfo { ...PageFields } nodes { id number "
        "title url state stateReason createdAt updatedAt closedAt author { ...ActorFields } "
        f"labels(first: {LABELS_PAGE}) {{ ...LabelPage }} "
        f"comments(first: {ISSUE_COMMENTS_PAGE}) {{ totalCount nodes {{ createdAt "
        "author { ...ActorFields } } } } }"
    ),
    "CommitPage": (
        "fragment CommitPage on CommitHistoryConnection { pageInfo { ...PageFields } nodes { "
        "oid url messageHeadline committedDate authoredDate parents(first: 2) { totalCount } "
        "author { name email user { login id } } committer { name email user { login id } } "
        "associatedPullRequests(first: 1) { nodes { number } } } }"
    ),
    "EarlierCommits": (
        "fragment EarlierCommits on CommitHistoryConnection { pageInfo { ...PageFields } "
        "nodes { parents(first: 2) { totalCount } author { name email user { login id } } } }"
    ),
    "ReleasePage": (
        "fragment ReleasePage on ReleaseConnection { pageInfo { ...PageFields } nodes { "
        "tagName name url isDraft isPrerelease createdAt publishedAt "
        "author { __typename login id name } } }"
    ),
    "TagPage": (
        "fragment TagPage on RefConnection { pageInfo { ...PageFields } nodes { name target { "
        "__typename oid ... on Commit { committedDate } ... on Tag { tagger { date } "
        "target { __typename oid ... on Commit { committedDate } } } } } }"
    ),
}
_RATE_LIMIT = "rateLimit { cost remaining resetAt limit used }"

# Nodes each part may return at most, for packing parts into queries (GitHub's count:
# every connection's `first` times the `first` of the connections around it).
_PULLS_NODES = PAGE_SIZE * (
    1 + LABELS_PAGE + REVIEWS_PAGE + REVIEW_REQUESTS_PAGE + 1 + DRAFT_CHANGES_PAGE
)
KIND_NODES: dict[Kind, int] = {
    "pulls": _PULLS_NODES,
    "open_pulls": _PULLS_NODES,
    "issues": PAGE_SIZE * (1 + LABELS_PAGE + ISSUE_COMMENTS_PAGE),
    "commits": PAGE_SIZE * 4,
    "earlier": PAGE_SIZE * 3,
    "releases": RELEASES_PAGE,
    "tags": TAGS_PAGE,
}
NESTED_NODES = PAGE_SIZE
PROBE_NODES = 1 + 10 * 3


@dataclass(frozen=True)
class RepoPart:
    """One repository's next pages: `pages` maps each kind still to fetch to its cursor
    (None for the first page)."""

    owner: str
    name: str
    since: datetime
    until: datetime
    pages: dict[Kind, str | None]
    # Pull request descriptions (`bodyText`), only for monitors that opted in.
    descriptions: bool = False

    @property
    def nodes(self) -> int:
        return sum(KIND_NODES[kind] for kind in self.pages)


@dataclass(frozen=True)
class NestedPart:
    """The rest of one pull request's (or issue's) reviews, labels or review requests."""

    node_id: str
    on_type: Literal["PullRequest", "Issue"]
    field: NestedField
    cursor: str

    nodes: int = NESTED_NODES


@dataclass(frozen=True)
class ProbePart:
    """Did this person contribute to the repository before `before`? A search for their
    pull requests and issues, and their commits on the default branch."""

    owner: str
    name: str
    before: datetime
    login: str | None = None
    is_bot: bool = False
    github_id: str | None = None
    email: str | None = None

    nodes: int = PROBE_NODES


Part = RepoPart | NestedPart | ProbePart


@dataclass
class _Builder:
    selections: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def var(self, name: str, graphql_type: str, value: Any) -> str:
        self.declarations.append(f"${name}: {graphql_type}")
        self.variables[name] = value
        return f"${name}"

    def build(self) -> GraphQLRequest:
        body = " ".join([*self.selections, _RATE_LIMIT])
        header = f"query({', '.join(self.declarations)})" if self.declarations else "query"
        text = f"{header} {{ {body} }}"
        fragments = "\n".join(_FRAGMENTS[name] for name in sorted(_fragments_used(text)))
        return GraphQLRequest(query=f"{text}\n{fragments}".strip(), variables=self.variables)


def _fragments_used(text: str) -> set[str]:
    found: set[str] = set()
    pending = set(re.findall(r"\.\.\.(\w+)", text)) - {"on"}
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        pending |= set(re.findall(r"\.\.\.(\w+)", _FRAGMENTS[name])) - {"on"} - found
    return found


def github_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_alias(index: int) -> str:
    return f"r{index}"


def nested_alias(index: int) -> str:
    return f"n{index}"


def probe_aliases(index: int) -> tuple[str, str]:
    return f"s{index}", f"c{index}"


def batch_query(parts: Sequence[Part]) -> GraphQLRequest:
    """One query for many parts; part `i` answers under alias `r{i}`, `n{i}` or
    `s{i}`/`c{i}`."""
    builder = _Builder()
    for index, part in enumerate(parts):
        if isinstance(part, RepoPart):
            _add_repo(builder, index, part)
        elif isinstance(part, NestedPart):
            _add_nested(builder, index, part)
        else:
            _add_probe(builder, index, part)
    return builder.build()


def _add_repo(builder: _Builder, i: int, part: RepoPart) -> None:
    owner = builder.var(f"owner{i}", "String!", part.owner)
    name = builder.var(f"name{i}", "String!", part.name)
    fields = ["nameWithOwner url isPrivate"]
    pages = part.pages

    def after(kind: Kind) -> str:
        return builder.var(f"{kind}After{i}", "String", pages[kind])

    histories = []
    if "commits" in pages:
        cursor = after("commits")
        since = builder.var(f"commitsSince{i}", "GitTimestamp!", github_time(part.since))
        until = builder.var(f"commitsUntil{i}", "GitTimestamp!", github_time(part.until))
        histories.append(
            f"history(first: {PAGE_SIZE}, after: {cursor}, since: {since}, until: {until}) "
            "{ ...CommitPage }"
        )
    if "earlier" in pages:
        # `until` counts the second it names; the window starts one second later.
        before = builder.var(
            f"earlierUntil{i}", "GitTimestamp!", github_time(part.since - timedelta(seconds=1))
        )
        histories.append(
            f"earlier: history(first: {PAGE_SIZE}, until: {before}) {{ ...EarlierCommits }}"
        )
    if histories:
        target = f"target {{ __typename oid ... on Commit {{ {' '.join(histories)} }} }}"
        fields.append(f"defaultBranchRef {{ name {target} }}")
    else:
        # The head's oid is the digest's source revision.
        fields.append("defaultBranchRef { name target { oid } }")
    pull_page = (
        "{ pageInfo { ...PageFields } nodes { ...PullRequestFields bodyText } }"
        if part.descriptions
        else "{ ...PullRequestPage }"
    )
    if "pulls" in pages:
        fields.append(
            f"pullRequests(first: {PAGE_SIZE}, after: {after('pulls')}, "
            f"orderBy: {{field: UPDATED_AT, direction: DESC}}) {pull_page}"
        )
    if "open_pulls" in pages:
        # Open pull requests nobody touched since the window began: the least recently
        # updated first, so the walk stops where the list above takes over.
        fields.append(
            f"openPullRequests: pullRequests(first: {PAGE_SIZE}, after: {after('open_pulls')}, "
            f"states: [OPEN], orderBy: {{field: UPDATED_AT, direction: ASC}}) {pull_page}"
        )
    if "issues" in pages:
        since = builder.var(f"issuesSince{i}", "DateTime!", github_time(part.since))
        fields.append(
            f"issues(first: {PAGE_SIZE}, after: {after('issues')}, filterBy: {{since: {since}}}, "
            "orderBy: {field: UPDATED_AT, direction: DESC}) { ...IssuePage }"
        )
    if "releases" in pages:
        fields.append(
            f"releases(first: {RELEASES_PAGE}, after: {after('releases')}, "
            "orderBy: {field: CREATED_AT, direction: DESC}) { ...ReleasePage }"
        )
    if "tags" in pages:
        fields.append(
            f'refs(refPrefix: "refs/tags/", first: {TAGS_PAGE}, after: {after("tags")}, '
            "orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) { ...TagPage }"
        )
    builder.selections.append(
        f"{repo_alias(i)}: repository(owner: {owner}, name: {name}) {{ {' '.join(fields)} }}"
    )


_NESTED_FRAGMENT: dict[NestedField, str] = {
    "reviews": "ReviewPage",
    "labels": "LabelPage",
    "reviewRequests": "ReviewRequestPage",
}


def _add_nested(builder: _Builder, i: int, part: NestedPart) -> None:
    node_id = builder.var(f"node{i}", "ID!", part.node_id)
    cursor = builder.var(f"nodeAfter{i}", "String", part.cursor)
    connection = (
        f"{part.field}(first: {PAGE_SIZE}, after: {cursor}) {{ ...{_NESTED_FRAGMENT[part.field]} }}"
    )
    builder.selections.append(
        f"{nested_alias(i)}: node(id: {node_id}) {{ __typename ... on {part.on_type} "
        f"{{ {connection} }} }}"
    )


def _add_probe(builder: _Builder, i: int, part: ProbePart) -> None:
    search_alias, commits_alias = probe_aliases(i)
    author = search_author(part.login, is_bot=part.is_bot) if part.login else None
    if author is not None:
        created = part.before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        text = f"repo:{part.owner}/{part.name} author:{author} created:<{created}"
        query = builder.var(f"search{i}", "String!", text)
        builder.selections.append(
            f"{search_alias}: search(query: {query}, type: ISSUE, first: 1) {{ issueCount }}"
        )
    commit_author: dict[str, Any] | None = None
    if part.github_id:
        commit_author = {"id": part.github_id}
    elif part.email:
        commit_author = {"emails": [part.email]}
    if commit_author is None:
        return
    owner = builder.var(f"probeOwner{i}", "String!", part.owner)
    name = builder.var(f"probeName{i}", "String!", part.name)
    who = builder.var(f"probeAuthor{i}", "CommitAuthor!", commit_author)
    until = builder.var(
        f"probeUntil{i}", "GitTimestamp!", github_time(part.before - timedelta(seconds=1))
    )
    builder.selections.append(
        f"{commits_alias}: repository(owner: {owner}, name: {name}) {{ defaultBranchRef {{ "
        f"target {{ __typename ... on Commit {{ history(first: 10, until: {until}, "
        f"author: {who}) {{ pageInfo {{ hasNextPage }} nodes {{ parents(first: 2) "
        "{ totalCount } } } } } } }"
    )


def pack(items: Sequence[tuple[Part, T]], node_budget: int) -> list[list[tuple[Part, T]]]:
    """Greedy packing of parts into queries under GitHub's node limit (with our margin)."""
    batches: list[list[tuple[Part, T]]] = []
    current: list[tuple[Part, T]] = []
    nodes = 0
    for item in items:
        size = item[0].nodes
        if current and (nodes + size > node_budget or len(current) >= MAX_PARTS_PER_QUERY):
            batches.append(current)
            current, nodes = [], 0
        current.append(item)
        nodes += size
    if current:
        batches.append(current)
    return batches


def example_parts() -> list[list[Part]]:
    """Parts for one query of every shape the client can send (schema validation)."""
    since = datetime(2026, 11, 16, tzinfo=UTC)
    until = since + timedelta(days=7)
    every_kind = RepoPart("octo", "hello", since, until, dict.fromkeys(KINDS))
    continuing: dict[Kind, str | None] = {"pulls": "Y3Vyc29y", "tags": "Y3Vyc29y"}
    return [
        [every_kind],
        [every_kind, RepoPart("octo", "other", since, until, continuing)],
        [RepoPart("octo", "hello", since, until, {"commits": "abc 99"})],
        [RepoPart("octo", "hello", since, until, {"pulls": None}, descriptions=True)],
        [RepoPart("octo", "hello", since, until, {"earlier": None, "issues": "Y3Vyc29y"})],
        [
            NestedPart("PR_1", "PullRequest", "reviews", "Y3Vyc29y"),
            NestedPart("PR_1", "PullRequest", "labels", "Y3Vyc29y"),
            NestedPart("PR_1", "PullRequest", "reviewRequests", "Y3Vyc29y"),
            NestedPart("I_1", "Issue", "labels", "Y3Vyc29y"),
        ],
        [
            ProbePart("octo", "hello", since, login="mona", github_id="U_1"),
            ProbePart("octo", "hello", since, login="dependabot", is_bot=True),
            ProbePart("octo", "hello", since, email="someone@example.com"),
        ],
    ]


def example_requests() -> list[GraphQLRequest]:
    """One request of every shape, from `example_parts()`."""
    return [batch_query(parts) for parts in example_parts()]
