"""GitHub's GraphQL nodes (as `queries.py` asks for them) → the shared activity model."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from infrasync.sources.bots import BotPolicy
from infrasync.sources.model import (
    Commit,
    DraftChange,
    Issue,
    IssueComment,
    Person,
    PullRequest,
    Release,
    Review,
    ReviewState,
    Tag,
    parse_github_time,
)

Node = dict[str, Any]


def _time(value: Any) -> datetime:
    moment = parse_github_time(value)
    if moment is None:
        raise ValueError("GitHub left out a timestamp it always sends")
    return moment


def actor(node: Node | None, bots: BotPolicy) -> Person | None:
    """An `Actor` (user, bot, mannequin); None for a deleted account ("ghost")."""
    if not node or not node.get("login"):
        return None
    typename = node.get("__typename")
    login = str(node["login"])
    return Person(
        login=login,
        name=node.get("name"),
        github_id=node.get("id"),
        is_bot=bots.is_bot(login=login, account_type=typename),
    )


def git_actor(node: Node | None, bots: BotPolicy) -> Person:
    """A commit's author or committer: the linked GitHub account when there is one."""
    node = node or {}
    user = node.get("user") or {}
    login = user.get("login")
    name, email = node.get("name"), node.get("email")
    return Person(
        login=login,
        name=name,
        email=email,
        github_id=user.get("id"),
        is_bot=bots.is_bot(login=login, name=name, email=email),
    )


def _labels(node: Node) -> tuple[str, ...]:
    return tuple(label["name"] for label in _nodes(node.get("labels")))


def _nodes(connection: Node | None) -> list[Node]:
    if not connection:
        return []
    return [item for item in connection.get("nodes") or [] if item]


def review(node: Node, bots: BotPolicy) -> Review:
    return Review(
        author=actor(node.get("author"), bots),
        state=cast(ReviewState, str(node["state"]).lower()),
        submitted_at=parse_github_time(node.get("submittedAt")),
    )


def _review_request(node: Node) -> str | None:
    reviewer = node.get("requestedReviewer") or {}
    if reviewer.get("__typename") == "Team":
        return reviewer.get("combinedSlug")
    return reviewer.get("login")


_DRAFT_EVENTS = {"ReadyForReviewEvent": False, "ConvertToDraftEvent": True}


def _draft_changes(node: Node) -> tuple[DraftChange, ...]:
    """The first and the latest changes between draft and ready (two lists that overlap
    when there are few)."""
    changes: dict[tuple[datetime, bool], DraftChange] = {}
    for event in _nodes(node.get("firstDraftChange")) + _nodes(node.get("draftChanges")):
        draft = _DRAFT_EVENTS.get(str(event.get("__typename")))
        at = parse_github_time(event.get("createdAt"))
        if draft is not None and at is not None:
            changes[(at, draft)] = DraftChange(at=at, draft=draft)
    return tuple(changes.values())


def pull_request(node: Node, bots: BotPolicy) -> PullRequest:
    requests = (_review_request(item) for item in _nodes(node.get("reviewRequests")))
    return PullRequest(
        number=int(node["number"]),
        title=str(node["title"]),
        url=str(node["url"]),
        author=actor(node.get("author"), bots),
        state=cast(Any, str(node["state"]).lower()),
        is_draft=bool(node.get("isDraft")),
        labels=_labels(node),
        base_ref=node.get("baseRefName"),
        created_at=_time(node["createdAt"]),
        updated_at=_time(node["updatedAt"]),
        merged_at=parse_github_time(node.get("mergedAt")),
        closed_at=parse_github_time(node.get("closedAt")),
        draft_changes=_draft_changes(node),
        additions=int(node.get("additions") or 0),
        deletions=int(node.get("deletions") or 0),
        changed_files=int(node.get("changedFiles") or 0),
        review_requests=tuple(name for name in requests if name),
        reviews=tuple(review(item, bots) for item in _nodes(node.get("reviews"))),
        description=node.get("bodyText"),
        head_committed_at=_head_committed_at(node),
    )


def _head_committed_at(node: Node) -> datetime | None:
    target = (node.get("headRef") or {}).get("target") or {}
    return parse_github_time(target.get("committedDate"))


def _comments(node: Node, bots: BotPolicy) -> tuple[tuple[IssueComment, ...] | None, int | None]:
    connection = node.get("comments")
    if connection is None:  # not asked for
        return None, None
    comments = tuple(
        IssueComment(author=actor(item.get("author"), bots), created_at=_time(item["createdAt"]))
        for item in _nodes(connection)
    )
    return comments, int(connection.get("totalCount") or len(comments))


def issue(node: Node, bots: BotPolicy) -> Issue:
    reason = node.get("stateReason")
    comments, comment_count = _comments(node, bots)
    return Issue(
        number=int(node["number"]),
        title=str(node["title"]),
        url=str(node["url"]),
        author=actor(node.get("author"), bots),
        state=cast(Any, str(node["state"]).lower()),
        state_reason=str(reason).lower() if reason else None,
        labels=_labels(node),
        created_at=_time(node["createdAt"]),
        updated_at=_time(node["updatedAt"]),
        closed_at=parse_github_time(node.get("closedAt")),
        comments=comments,
        comment_count=comment_count,
    )


def commit(node: Node, bots: BotPolicy) -> Commit:
    parents = node.get("parents") or {}
    return Commit(
        sha=str(node["oid"]),
        message=str(node.get("messageHeadline") or ""),
        url=node.get("url"),
        author=git_actor(node.get("author"), bots),
        committer=git_actor(node.get("committer"), bots) if node.get("committer") else None,
        authored_at=_time(node["authoredDate"]),
        committed_at=_time(node["committedDate"]),
        parents=int(parents.get("totalCount") or 0),
        pull_request=next(
            (int(pull["number"]) for pull in _nodes(node.get("associatedPullRequests"))), None
        ),
    )


def release(node: Node, bots: BotPolicy) -> Release:
    return Release(
        tag_name=str(node["tagName"]),
        name=node.get("name"),
        url=node.get("url"),
        author=actor(node.get("author"), bots),
        created_at=_time(node["createdAt"]),
        published_at=parse_github_time(node.get("publishedAt")),
        is_draft=bool(node.get("isDraft")),
        is_prerelease=bool(node.get("isPrerelease")),
    )


def tag_date(node: Node) -> datetime | None:
    """An annotated tag's tagger date, else the tagged commit's committer date."""
    target = node.get("target") or {}
    if target.get("__typename") == "Tag":
        tagged = parse_github_time((target.get("tagger") or {}).get("date"))
        if tagged is not None:
            return tagged
        target = target.get("target") or {}
    return parse_github_time(target.get("committedDate"))


def tag(node: Node) -> Tag | None:
    target = node.get("target") or {}
    tagged_at = tag_date(node)
    if tagged_at is None:  # a tag of a tree or blob: nothing a digest could say
        return None
    if target.get("__typename") == "Tag":
        target = target.get("target") or {}
    return Tag(name=str(node["name"]), sha=str(target.get("oid", "")), tagged_at=tagged_at)
