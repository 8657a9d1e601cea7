"""A monitor's repositories: one (`Monitor.source`), a list, or an owner's with patterns
(`Monitor.selection`, whose rules are github/selection.py's).

What the API shows of them and how a create or edit names them; resolving an owner's
repositories calls GitHub (monitors/service.py, digests/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infrasync.errors import Unprocessable
from infrasync.github.repo_ref import RepoRef
from infrasync.github.selection import (
    MAX_PATTERNS,
    MAX_REPOSITORIES,
    SelectionError,
    check_pattern,
)
from infrasync.models import Monitor
from infrasync.monitors.schemas import OwnerSelection, OwnerSelectionOut
from infrasync.sources.service import GitHubSpec, parse_source

LOCAL_IS_SINGLE = (
    "A local git monitor reads one repository: give several repositories only for GitHub "
    "(owner/repo), or make one monitor per local repository."
)
_LABEL_CHARS = 500


@dataclass(frozen=True)
class Choice:
    """What a create or edit asked to follow: a list (of two or more), an owner, or None
    (one repository, named by `source`)."""

    repositories: tuple[str, ...] = ()
    owner: OwnerSelection | None = None

    @property
    def several(self) -> bool:
        return self.owner is not None or len(self.repositories) > 1


def choose(
    source: str | None, repositories: list[str] | None, owner: OwnerSelection | None
) -> Choice:
    """Exactly one of the three, each checked (422 with what to fix)."""
    given = [name for name, value in _named(source, repositories, owner) if value is not None]
    if not given:
        raise Unprocessable(
            "Give source (one repository), repositories (several, owner/repo) or "
            "github_owner (an owner's repositories)."
        )
    if len(given) > 1:
        raise Unprocessable(
            f"Give one of source, repositories or github_owner, not {' and '.join(given)}."
        )
    if repositories is not None:
        return Choice(repositories=_repository_list(repositories))
    if owner is not None:
        return Choice(owner=_owner(owner))
    return Choice()


def _named(
    source: str | None, repositories: list[str] | None, owner: OwnerSelection | None
) -> list[tuple[str, object]]:
    return [("source", source), ("repositories", repositories), ("github_owner", owner)]


def _repository_list(names: list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for text in names:
        try:
            spec = parse_source(text)
        except ValueError as error:
            raise Unprocessable(f"repositories: {error}.") from None
        if not isinstance(spec, GitHubSpec):
            raise Unprocessable(LOCAL_IS_SINGLE)
        repo = spec.repo
        seen.setdefault(repo.full_name.lower(), repo.full_name)
    if len(seen) > MAX_REPOSITORIES:
        raise Unprocessable(f"repositories: at most {MAX_REPOSITORIES} in one monitor.")
    return tuple(seen.values())


def _owner(owner: OwnerSelection) -> OwnerSelection:
    try:
        RepoRef.parse(f"{owner.owner}/x")
    except ValueError:
        raise Unprocessable(
            f"github_owner.owner: {owner.owner!r} is not a GitHub user or organization name."
        ) from None
    try:
        include = [check_pattern(p) for p in owner.include]
        exclude = [check_pattern(p) for p in owner.exclude]
    except SelectionError as error:
        raise Unprocessable(f"github_owner: {error}.") from None
    if len(include) > MAX_PATTERNS or len(exclude) > MAX_PATTERNS:
        raise Unprocessable(f"github_owner: at most {MAX_PATTERNS} patterns of each kind.")
    return OwnerSelection(
        owner=owner.owner,
        include=list(dict.fromkeys(include)),
        exclude=list(dict.fromkeys(exclude)),
    )


def apply_list(monitor: Monitor, names: tuple[str, ...]) -> None:
    """A list of one is a single-repository monitor: nothing tells them apart."""
    if len(names) == 1:
        monitor.source, monitor.selection, monitor.repository_count = names[0], None, 1
        return
    monitor.selection = {"repositories": list(names)}
    monitor.source = label(list(names))
    monitor.repository_count = len(names)


def apply_owner(monitor: Monitor, owner: OwnerSelection, resolved: list[str], at: datetime) -> None:
    monitor.selection = {
        "owner": owner.owner,
        "include": list(owner.include),
        "exclude": list(owner.exclude),
        "resolved": resolved,
        "resolved_at": at.isoformat(),
    }
    monitor.source = f"{owner.owner}/*"
    monitor.repository_count = len(resolved)


def note_resolved(monitor: Monitor, resolved: list[str], at: datetime) -> None:
    """A run listed the owner's repositories again: the monitor shows (and the plan
    counts) what it follows now."""
    if monitor.selection is None or "owner" not in monitor.selection:
        return
    monitor.selection = {**monitor.selection, "resolved": resolved, "resolved_at": at.isoformat()}
    monitor.repository_count = len(resolved)


def label(names: list[str]) -> str:
    text = ", ".join(names)
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def followed_repositories(monitor: Monitor) -> list[str]:
    selection: dict[str, Any] | None = monitor.selection
    if selection is None:
        return [] if monitor.source_kind == "git" else [monitor.source]
    if "owner" in selection:
        return [str(name) for name in selection.get("resolved") or []]
    return [str(name) for name in selection.get("repositories") or []]


def owner_of(monitor: Monitor) -> OwnerSelection | None:
    selection = monitor.selection
    if selection is None or "owner" not in selection:
        return None
    return OwnerSelection(
        owner=str(selection["owner"]),
        include=list(selection.get("include") or ["*"]),
        exclude=list(selection.get("exclude") or []),
    )


def owner_selection_out(monitor: Monitor) -> OwnerSelectionOut | None:
    owner = owner_of(monitor)
    if owner is None or monitor.selection is None:
        return None
    at = monitor.selection.get("resolved_at")
    return OwnerSelectionOut(
        **owner.model_dump(), resolved_at=datetime.fromisoformat(at) if at else None
    )
