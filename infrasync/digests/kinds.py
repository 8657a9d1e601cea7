"""What kind of change a pull request or commit is, for the digest's Shipped groups.

A pull request's labels decide first (when it has one we know as a kind), then a
conventional-commit prefix of its title (`feat(parser)!: …`), else it is "Other". A
commit has no labels: its subject's prefix decides, else "Other". `docs/digests.md`
states the rule for readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

OTHER = "Other"
# In the order the digest shows the groups: what changes behaviour for users first.
KINDS: tuple[str, ...] = (
    "Breaking changes",
    "Security",
    "Features",
    "Fixes",
    "Performance",
    "Documentation",
    "Refactoring",
    "Tests",
    "Build and CI",
    "Dependencies",
    "Maintenance",
    "Reverts",
    OTHER,
)

# Conventional-commit types (and the common spellings beside them).
_PREFIXES = {
    "feat": "Features",
    "feature": "Features",
    "fix": "Fixes",
    "bugfix": "Fixes",
    "hotfix": "Fixes",
    "security": "Security",
    "perf": "Performance",
    "docs": "Documentation",
    "doc": "Documentation",
    "refactor": "Refactoring",
    "test": "Tests",
    "tests": "Tests",
    "build": "Build and CI",
    "ci": "Build and CI",
    "deps": "Dependencies",
    "chore": "Maintenance",
    "style": "Maintenance",
    "revert": "Reverts",
}
# `type(scope)!: subject`; `!` marks a breaking change whatever the type.
_CONVENTIONAL = re.compile(r"^\s*([A-Za-z]+)(?:\([^)]*\))?(!)?:\s+\S")

# Label words, after a usual prefix (`type: bug`, `kind/feature`, `T-enhancement`).
_LABELS = {
    "breaking": "Breaking changes",
    "breaking change": "Breaking changes",
    "breaking-change": "Breaking changes",
    "security": "Security",
    "feature": "Features",
    "features": "Features",
    "enhancement": "Features",
    "new feature": "Features",
    "bug": "Fixes",
    "bugfix": "Fixes",
    "fix": "Fixes",
    "bug fix": "Fixes",
    "regression": "Fixes",
    "performance": "Performance",
    "perf": "Performance",
    "documentation": "Documentation",
    "docs": "Documentation",
    "refactor": "Refactoring",
    "refactoring": "Refactoring",
    "tests": "Tests",
    "test": "Tests",
    "testing": "Tests",
    "ci": "Build and CI",
    "build": "Build and CI",
    "dependencies": "Dependencies",
    "dependency": "Dependencies",
    "deps": "Dependencies",
    "chore": "Maintenance",
    "maintenance": "Maintenance",
}
_LABEL_PREFIX = re.compile(r"^(?:type|kind|t|c|category|area)\s*[:/-]\s*", re.I)
_RANK = {kind: index for index, kind in enumerate(KINDS)}


def _label_kind(label: str) -> str | None:
    # Emoji and decoration around a label's word (`🐛 bug`, `[feature]`) are not the word.
    word = _LABEL_PREFIX.sub("", label.strip().lower())
    word = re.sub(r"[^a-z -]", "", word).strip()
    return _LABELS.get(word)


def prefix_kind(subject: str) -> str | None:
    match = _CONVENTIONAL.match(subject)
    if match is None:
        return None
    if match.group(2):
        return "Breaking changes"
    return _PREFIXES.get(match.group(1).lower())


def kind_of(subject: str, labels: Iterable[str] = ()) -> str:
    """The kind of a pull request (its title and labels) or of a commit (its subject)."""
    from_labels = [kind for kind in map(_label_kind, labels) if kind is not None]
    if from_labels:
        # Several kinds on one PR: the one a reader must know about first.
        return min(from_labels, key=_RANK.__getitem__)
    return prefix_kind(subject) or OTHER


def rank(kind: str) -> int:
    return _RANK.get(kind, len(KINDS))
