"""Which repositories a multi-repository monitor follows: a list of `owner/repo`, or all
of an owner's repositories, narrowed by include and exclude patterns.

Patterns are fnmatch-style globs (`*`, `?`, `[abc]`) matched against the repository's
name without its owner, case-insensitively, as GitHub treats names. A repository is
followed when some include pattern matches it and no exclude pattern does. Archived
repositories and forks are left out unless an include pattern names them exactly (no
wildcard): `api-*` does not bring back an archived `api-old`, `api-old` does.

Listing an owner's repositories costs one GraphQL request per 100 repositories (pages
of 100, GitHub's largest), counted in the same budget as the activity it then reads.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubRequestFailed
from infrasync.github.repo_ref import RepoRef

# At most this many repositories in one digest (a digest is read in a few minutes, and
# one batched read of this many stays within a handful of requests).
MAX_REPOSITORIES = 100
MAX_PATTERNS = 20
_PATTERN = re.compile(r"^[A-Za-z0-9._\-*?\[\]!]{1,100}$")
_WILDCARDS = frozenset("*?[")

OWNER_REPOSITORIES_QUERY = """
query OwnerRepositories($login: String!, $after: String) {
  repositoryOwner(login: $login) {
    login
    repositories(first: 100, after: $after, ownerAffiliations: [OWNER],
                 orderBy: {field: NAME, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes { name nameWithOwner isArchived isFork }
    }
  }
  rateLimit { cost remaining resetAt limit used }
}
"""


class SelectionError(ValueError):
    """A selection that cannot be used, with a sentence saying what to fix."""


def check_pattern(pattern: str) -> str:
    """The pattern as stored (trimmed), or SelectionError: a repository name's characters
    and the glob's `* ? [ ] !`, with brackets that close."""
    value = pattern.strip()
    if not _PATTERN.match(value):
        raise SelectionError(
            f"{pattern!r} is not a pattern of repository names: use letters, digits, "
            "'.', '-', '_' and the wildcards * ? [...]"
        )
    if value.count("[") != value.count("]"):
        raise SelectionError(f"{pattern!r} has a '[' without its ']' (or the other way)")
    return value


def _is_exact(pattern: str) -> bool:
    return not (_WILDCARDS & set(pattern))


def _matches(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


@dataclass(frozen=True)
class OwnerRepository:
    name: str
    full_name: str
    archived: bool = False
    fork: bool = False


def chosen(
    repositories: Sequence[OwnerRepository], include: Sequence[str], exclude: Sequence[str]
) -> list[str]:
    """The full names followed, in GitHub's order (by name). See the module's rules."""
    found = []
    for repo in repositories:
        included = [p for p in include if _matches(repo.name, p)]
        if not included or any(_matches(repo.name, p) for p in exclude):
            continue
        if (repo.archived or repo.fork) and not any(_is_exact(p) for p in included):
            continue
        found.append(repo.full_name)
    return found


@dataclass(frozen=True)
class OwnerListing:
    repositories: tuple[OwnerRepository, ...]
    requests: int


class OwnerNotFound(GitHubRequestFailed):
    permanent = True

    def __init__(self, owner: str) -> None:
        super().__init__(f"GitHub has no user or organization {owner} that this token can see")
        self.owner = owner


async def list_owner_repositories(
    client: GitHubClient, owner: str, *, limit: int = 1000
) -> OwnerListing:
    """Every repository `owner` owns that the token can see (up to `limit`), page by
    page; raises OwnerNotFound for an owner GitHub does not know."""
    found: list[OwnerRepository] = []
    after: str | None = None
    requests = 0
    while True:
        result = await client.graphql(OWNER_REPOSITORIES_QUERY, {"login": owner, "after": after})
        requests += 1
        data: dict[str, Any] | None = result.data.get("repositoryOwner")
        if data is None:
            raise OwnerNotFound(owner)
        connection = data.get("repositories") or {}
        for node in connection.get("nodes") or []:
            if node and node.get("nameWithOwner"):
                found.append(
                    OwnerRepository(
                        name=str(node.get("name") or ""),
                        full_name=str(node["nameWithOwner"]),
                        archived=bool(node.get("isArchived")),
                        fork=bool(node.get("isFork")),
                    )
                )
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor") or len(found) >= limit:
            return OwnerListing(tuple(found[:limit]), requests)
        after = str(page["endCursor"])


async def resolve(
    client: GitHubClient,
    owner: str,
    include: Sequence[str],
    exclude: Sequence[str],
) -> list[RepoRef]:
    """The repositories an owner selection follows now, by name; raises SelectionError
    when none matches. The caller decides what to do with more than MAX_REPOSITORIES."""
    listing = await list_owner_repositories(client, owner)
    names = chosen(listing.repositories, include, exclude)
    if not names:
        raise SelectionError(
            f"none of {owner}'s {len(listing.repositories)} repositories that the token can "
            "see matches the include patterns without an exclude pattern (archived "
            "repositories and forks count only when named exactly)"
        )
    return [RepoRef.parse(name) for name in names]
