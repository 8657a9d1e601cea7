"""A local GitHub for sign-in: the OAuth web flow (`/login/oauth/authorize`,
`/login/oauth/access_token`) and the two REST reads sign-in needs (`/user`,
`/user/emails`), with the shapes of GitHub's real responses.

The `/user` body is GitHub's own documented example
(`tests/fixtures/github/rest/openapi-examples/users.get-authenticated.200…json`), with
the account's id, login and name set per test. Codes are single use and bound to the
`redirect_uri`, as on GitHub; a bad code is answered with HTTP 200 and an `error` field,
as GitHub does.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fixtures import GITHUB_FIXTURES

USER_EXAMPLE = (
    GITHUB_FIXTURES
    / "rest"
    / "openapi-examples"
    / "users.get-authenticated.200.response-with-public-and-private-profile-information.json"
)


def _fixture_user() -> dict[str, Any]:
    document = json.loads(USER_EXAMPLE.read_text(encoding="utf-8"))
    body = document.get("body", document)  # the file wraps the example with its source
    return dict(body)


@dataclass
class GitHubAccount:
    id: int
    login: str
    name: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def make(
        cls, id: int, login: str, email: str | None = None, verified: bool = True
    ) -> GitHubAccount:
        emails = []
        if email is not None:
            emails = [
                {
                    "email": f"{login}@users.noreply.github.com",
                    "primary": False,
                    "verified": True,
                    "visibility": None,
                },
                {"email": email, "primary": True, "verified": verified, "visibility": "public"},
            ]
        return cls(id=id, login=login, name=login.title(), emails=emails)


@dataclass
class FakeGitHub:
    """State of the fake; tests change it between steps."""

    client_id: str = "Iv1.testclientid"
    client_secret: str = "test-client-secret"
    account: GitHubAccount = field(
        default_factory=lambda: GitHubAccount.make(583231, "octocat", "octocat@example.com")
    )
    deny_access: bool = False
    fail_token_exchange_with: int | None = None
    codes: dict[str, tuple[int, str]] = field(default_factory=dict)
    code_scopes: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    token_scopes: dict[str, str] = field(default_factory=dict)
    accounts: dict[int, GitHubAccount] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self.authorize),
                Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
                Route("/user", self.user),
                Route("/user/emails", self.user_emails),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        """GitHub would ask the user; the fake answers at once as `account`."""
        params = dict(request.query_params)
        self.requests.append("authorize")
        self.authorize_requests.append(params)
        redirect_uri = params["redirect_uri"]
        if params.get("client_id") != self.client_id:
            return Response("unknown client", status_code=404)
        if self.deny_access:
            query = {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
                "state": params["state"],
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
        code = secrets.token_hex(10)
        self.accounts[self.account.id] = self.account
        self.codes[code] = (self.account.id, redirect_uri)
        # GitHub grants what was asked for and reports it comma-separated.
        self.code_scopes[code] = ",".join(params.get("scope", "").split())
        query = {"code": code, "state": params["state"]}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    async def access_token(self, request: Request) -> Response:
        self.requests.append("access_token")
        if self.fail_token_exchange_with is not None:
            return Response("upstream trouble", status_code=self.fail_token_exchange_with)
        form = await request.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return JSONResponse(
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                }
            )
        scope = self.code_scopes.pop(str(form.get("code")), "")
        issued = self.codes.pop(str(form.get("code")), None)
        if issued is None or issued[1] != form.get("redirect_uri"):
            return JSONResponse(
                {
                    "error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired.",
                    "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
                }
            )
        token = "gho_" + secrets.token_hex(18)
        self.tokens[token] = issued[0]
        self.token_scopes[token] = scope
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": scope})

    def _account_for(self, request: Request) -> GitHubAccount | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        account_id = self.tokens.get(token)
        return self.accounts.get(account_id) if account_id is not None else None

    async def user(self, request: Request) -> Response:
        self.requests.append("user")
        account = self._account_for(request)
        if account is None:
            return JSONResponse(
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                status_code=401,
            )
        body = _fixture_user()
        body.update({"id": account.id, "login": account.login, "name": account.name})
        return JSONResponse(body)

    async def user_emails(self, request: Request) -> Response:
        self.requests.append("user_emails")
        account = self._account_for(request)
        if account is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(account.emails)
