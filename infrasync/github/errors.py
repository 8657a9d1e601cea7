"""What can go wrong talking to GitHub, sorted by what the caller should do about it.

`permanent` errors will fail again on retry until a person acts (reconnect GitHub,
fix the repository name, grant access); the monitor shows `str(error)` to the user.
Transient ones are worth retrying later. No message ever contains a token.
"""

from __future__ import annotations

from datetime import datetime


class GitHubError(Exception):
    permanent = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GitHubTokenRejected(GitHubError):
    """401: the token was revoked, expired or never valid."""

    permanent = True

    def __init__(self) -> None:
        super().__init__(
            "GitHub rejected the stored token (revoked or expired); reconnect GitHub to "
            "give Infrasync a new one."
        )


class GitHubRepositoryNotFound(GitHubError):
    """404 or GraphQL NOT_FOUND: gone, misspelt, or private and out of this token's reach
    (GitHub answers all three the same way, on purpose)."""

    permanent = True

    def __init__(self, repository: str) -> None:
        self.repository = repository
        super().__init__(
            f"GitHub repository {repository} was not found, or this GitHub token has no "
            "access to it (for a private repository, grant private access)."
        )


class GitHubNotFound(GitHubError):
    """A REST resource that is not a repository answered 404."""

    permanent = True


class GitHubAccessDenied(GitHubError):
    """403 that is not a rate limit: missing permission, SAML enforcement, IP allow list."""

    permanent = True


class GitHubRateLimited(GitHubError):
    """The token's budget is spent (or GitHub asked us to slow down) for longer than a
    job may wait."""

    def __init__(self, until: datetime, *, secondary: bool = False) -> None:
        self.until = until
        self.secondary = secondary
        kind = "secondary rate limit" if secondary else "rate limit"
        super().__init__(
            f"GitHub {kind} reached for this token; rate limited until "
            f"{until:%H:%M} UTC ({until:%Y-%m-%d})."
        )


class GitHubUnavailable(GitHubError):
    """5xx, timeouts or connection failures that outlasted our retries."""


class GitHubQueryRejected(GitHubError):
    """GitHub refused a GraphQL query as invalid: a bug in Infrasync, never the user's."""

    permanent = True


class GitHubRequestFailed(GitHubError):
    """Any other answer we cannot act on (a 422, an unexpected body)."""

    permanent = True
