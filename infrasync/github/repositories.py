"""Checking a repository through REST: exists, renamed or transferred, private, archived.

It runs once, when a monitor is made, so its cost hardly matters: one request from the
token's REST budget, which GitHub counts apart from the GraphQL points that monitor runs
spend. REST because one `GET /repos/{owner}/{repo}` answers all of it plainly: 404 for a
repository the token cannot see, 301 for one renamed or transferred (the client follows
it and this reports the new name).
"""

from __future__ import annotations

from dataclasses import dataclass

from infrasync.github.activity import RepoRef
from infrasync.github.client import GitHubClient
from infrasync.github.errors import GitHubNotFound, GitHubRepositoryNotFound, GitHubRequestFailed


@dataclass(frozen=True)
class RepositoryInfo:
    full_name: str
    github_id: int
    default_branch: str
    private: bool
    archived: bool
    url: str
    # The name asked for, when GitHub now knows the repository by another one.
    moved_from: str | None

    @property
    def renamed(self) -> bool:
        return self.moved_from is not None


async def check_repository(client: GitHubClient, repo: RepoRef) -> RepositoryInfo:
    try:
        page = await client.rest_get(f"/repos/{repo.owner}/{repo.name}")
    except GitHubNotFound:
        raise GitHubRepositoryNotFound(repo.full_name) from None
    body = page.json()
    if not isinstance(body, dict) or "full_name" not in body:
        raise GitHubRequestFailed(f"GitHub answered {repo.full_name} with something unexpected")
    full_name = str(body["full_name"])
    return RepositoryInfo(
        full_name=full_name,
        github_id=int(body["id"]),
        default_branch=str(body.get("default_branch") or ""),
        private=bool(body.get("private")),
        archived=bool(body.get("archived")),
        url=str(body.get("html_url") or ""),
        moved_from=repo.full_name if full_name.lower() != repo.full_name.lower() else None,
    )
