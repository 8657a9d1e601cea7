"""What a local repository's history tells of each author's oldest commit, kept between
runs so that deciding "has this author committed before the window?" for a newcomer does
not cost a walk of the whole history every time (`local_git._History` uses it).

For each person key, two bounds on the committer time of their oldest non-merge commit
among the commits reachable from `tip`: `lower` (no commit of theirs is older; None when
unknown) and `upper` (a commit of theirs is that old; None when unknown). Bounds, not the
oldest time itself, because a run learns only bounds without reading the whole history:
an author whose earlier commit the walk met has an upper bound, a newcomer the look-up
proved new a lower one (the window's start). Either answers a later window on its own:
an upper bound older than its start says "not new", a lower bound at or after it "new".

Valid only for the history they were read from, so `tip` (the commit they hold for) and
`mailmap` (a fingerprint of the mailmap git applied, which decides who a commit's author
is) are kept beside them. `local_git` uses them only when `tip` is HEAD or an ancestor of
it (then the commits since, `tip..HEAD`, are read to extend them) and the mailmap is the
same; a rewritten history (a force-push, a reset to another history) has a HEAD that
does not descend from `tip`, and the bounds are dropped and learnt again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The format of `as_json`; a document of another version is dropped (learnt again).
VERSION = 1

Bounds = tuple[int | None, int | None]  # (lower, upper), unix times


@dataclass(frozen=True)
class FirstSeen:
    path: str  # the repository's path as the source was given it
    tip: str  # the commit the bounds hold for (its history, every commit reachable)
    mailmap: str  # fingerprint of the mailmap git applied (`local_git._mailmap_file`)
    bounds: Mapping[str, Bounds] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "path": self.path,
            "tip": self.tip,
            "mailmap": self.mailmap,
            "bounds": {key: list(pair) for key, pair in self.bounds.items()},
        }

    @classmethod
    def from_json(cls, document: object) -> FirstSeen | None:
        """None for anything but a document `as_json` wrote (another version, a damaged
        row): a cache that cannot be read is learnt again, never guessed at."""
        if not isinstance(document, dict) or document.get("version") != VERSION:
            return None
        path, tip, mailmap = document.get("path"), document.get("tip"), document.get("mailmap")
        raw = document.get("bounds")
        if not (isinstance(path, str) and isinstance(tip, str) and isinstance(mailmap, str)):
            return None
        if not isinstance(raw, dict):
            return None
        bounds: dict[str, Bounds] = {}
        for key, pair in raw.items():
            if not (isinstance(key, str) and isinstance(pair, list) and len(pair) == 2):
                return None
            lower, upper = pair
            if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in pair):
                return None
            bounds[key] = (lower, upper)
        return cls(path=path, tip=tip, mailmap=mailmap, bounds=bounds)


class FirstSeenCache:
    """A holder the local source reads the kept bounds from (`state`) and leaves the new
    ones in, for its caller to keep: None when the repository cannot have any (a shallow
    clone, replace refs, a configured mailmap blob). `changed`: whether to write them."""

    def __init__(self, state: FirstSeen | None = None) -> None:
        self.state = state
        self.changed = False

    def replace(self, state: FirstSeen | None) -> None:
        self.changed = self.changed or state != self.state
        self.state = state


def merged(known: Mapping[str, Bounds], learnt: Mapping[str, Bounds]) -> dict[str, Bounds]:
    """Two sets of bounds over the same history: the tighter of each."""
    result = dict(known)
    for key, (lower, upper) in learnt.items():
        old_lower, old_upper = result.get(key, (None, None))
        result[key] = (_larger(old_lower, lower), _smaller(old_upper, upper))
    return result


def extended(known: Mapping[str, Bounds], commits: Mapping[str, int]) -> dict[str, Bounds]:
    """The bounds over a history that gained commits (person key -> their oldest new
    commit's time): an author's oldest commit can only have become older."""
    result = dict(known)
    for key, committed in commits.items():
        lower, upper = result.get(key, (None, None))
        # A lower bound is unknown for someone not in the cache: their older commits may
        # be anywhere in the history before.
        result[key] = (
            None if lower is None else min(lower, committed),
            _smaller(upper, committed),
        )
    return result


def lower_bound(since: float) -> int:
    """The lower bound a newcomer in a window starting at `since` proves: no commit of
    theirs is older than it (git's times are whole seconds)."""
    return math.ceil(since)


def _larger(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _smaller(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)
