"""GitHub's OAuth web flow: exchange a code for a token, read who the user is and their
primary verified email. Signing in uses the token for those two reads and drops it;
"connect GitHub" (a separate, explicit step) keeps it, encrypted, to read repositories.

Kept apart from the activity client (infrasync/github): it talks to `GITHUB_URL` (the
web host) as well as the API, needs no caching or rate-limit budget, and must not
share a connection pool with tenant tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from infrasync.config import Settings

SIGN_IN_SCOPES = "read:user user:email"
TIMEOUT = httpx.Timeout(10.0)


class GitHubUnavailable(Exception):
    """GitHub could not be reached or answered with an error we cannot act on.

    The message is a fixed code (`token_exchange_http_502`), safe to log: never a body,
    a URL with a query, or an exception's text, which could carry a code or a token."""


class CodeRejected(Exception):
    """GitHub refused the code (expired, already used, or not ours)."""


@dataclass(frozen=True)
class GitHubIdentity:
    github_id: int
    login: str
    name: str | None
    email: str | None = field(repr=False)  # personal data stays out of reprs and logs
    avatar_url: str | None


def authorize_url(
    settings: Settings, state: str, redirect_uri: str, scopes: str = SIGN_IN_SCOPES
) -> str:
    query = urlencode(
        {
            "client_id": settings.github_client_id or "",
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "allow_signup": "true",
        }
    )
    return f"{settings.github_url}/login/oauth/authorize?{query}"


@dataclass(frozen=True)
class GrantedToken:
    # SecretStr: a repr, a traceback or a log line shows `**********`, never the token.
    token: SecretStr
    scopes: str  # as GitHub granted them, comma-separated


async def _exchange_code(
    client: httpx.AsyncClient, settings: Settings, code: str, redirect_uri: str
) -> GrantedToken:
    secret = settings.github_client_secret
    response = await client.post(
        f"{settings.github_url}/login/oauth/access_token",
        data={
            "client_id": settings.github_client_id or "",
            "client_secret": secret.get_secret_value() if secret else "",
            "code": code,
            "redirect_uri": redirect_uri,
        },
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200:
        raise GitHubUnavailable(f"token_exchange_http_{response.status_code}")
    body: dict[str, Any] = response.json()
    # GitHub reports a bad code as HTTP 200 with an `error` field.
    if "error" in body:
        raise CodeRejected(str(body.get("error")))
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise GitHubUnavailable("token_exchange_without_token")
    scopes = body.get("scope")
    return GrantedToken(token=SecretStr(token), scopes=scopes if isinstance(scopes, str) else "")


async def _get_json(client: httpx.AsyncClient, url: str, name: str, token: SecretStr) -> Any:
    """GET one of GitHub's REST reads; `name` names it in a GitHubUnavailable."""
    response = await client.get(
        url,
        headers={
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    if response.status_code != 200:
        raise GitHubUnavailable(f"{name}_http_{response.status_code}")
    return response.json()


def _primary_verified_email(emails: Any) -> str | None:
    if not isinstance(emails, list):
        return None
    for entry in emails:
        if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
            email = entry.get("email")
            return email if isinstance(email, str) else None
    return None


async def identify(settings: Settings, code: str, redirect_uri: str) -> GitHubIdentity:
    """Who signed in: raises CodeRejected or GitHubUnavailable, never leaks the token."""
    identity, _granted = await identify_and_keep_token(settings, code, redirect_uri)
    return identity


async def identify_and_keep_token(
    settings: Settings, code: str, redirect_uri: str
) -> tuple[GitHubIdentity, GrantedToken]:
    """Who granted access, and the token they granted (for "connect GitHub", whose token
    Infrasync then keeps, encrypted, to read repositories)."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client:
            granted = await _exchange_code(client, settings, code, redirect_uri)
            api = settings.github_api_url
            user = await _get_json(client, f"{api}/user", "user", granted.token)
            emails = await _get_json(client, f"{api}/user/emails", "user_emails", granted.token)
    except httpx.HTTPError as error:
        raise GitHubUnavailable(f"transport_{type(error).__name__}") from None
    except ValueError:  # a body that is not JSON
        raise GitHubUnavailable("unreadable_answer") from None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise GitHubUnavailable("user_without_id")
    identity = GitHubIdentity(
        github_id=user["id"],
        login=str(user.get("login") or f"github-{user['id']}"),
        name=user.get("name") if isinstance(user.get("name"), str) else None,
        email=_primary_verified_email(emails),
        avatar_url=user.get("avatar_url") if isinstance(user.get("avatar_url"), str) else None,
    )
    return identity, granted
