"""No secret reaches a log line (SPEC §6): not in the access log's paths, not in a
query string, not in a traceback's local variables, in either log format.

The end-to-end test runs the real `infrasync serve` against a local fake GitHub, walks
every route that carries a token (sign-in link, invite preview and accept, the OAuth
callback, connect, the web app's invite link) once as it should go and once as it should
fail, then reads everything the server printed."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import structlog

from infrasync.auth.cookies import CSRF_COOKIE, OAUTH_STATE_COOKIE, SESSION_COOKIE
from infrasync.observability.logging import configure_logging
from tests.fakes.github_oauth import FakeGitHub
from tests.fakes.http_server import serve_in_thread
from tests.live_server import live_server, run_cli, server_output

LogFormat = Literal["console", "json"]
LOG_FORMATS: list[LogFormat] = ["console", "json"]
# A secret counts as leaked if any run of this many of its characters is in the log: a
# prefix or a suffix is as good as the whole to someone guessing, or matching, a token.
FRAGMENT = 12


# Tracebacks ------------------------------------------------------------------------------


def _fail_holding(secret: str) -> None:
    cookie = {"infrasync_session": secret}
    raise RuntimeError(f"the request failed after {len(cookie)} lookups")


@pytest.mark.parametrize("log_format", LOG_FORMATS)
@pytest.mark.parametrize("logger", ["structlog", "stdlib"])
def test_tracebacks_never_show_local_variables(
    log_format: LogFormat, logger: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = f"session-{uuid.uuid4().hex}"
    configure_logging(log_format)
    try:
        _fail_holding(secret)
    except RuntimeError:
        if logger == "structlog":
            structlog.get_logger("tests.security").exception("unhandled error")
        else:  # how uvicorn and other libraries log theirs
            logging.getLogger("tests.security.stdlib").exception("Exception in ASGI application")
    err = capsys.readouterr().err
    assert "_fail_holding" in err  # the traceback is there…
    assert "the request failed after 1 lookups" in err
    assert secret not in err  # …without the values of its locals
    assert "infrasync_session" not in err


# Paths in the access log -----------------------------------------------------------------


def _access_lines(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request"]


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/invites/{secret}", "/invites/{token}"),
        ("/invites/{secret}/", "/invites/{token}/"),
        ("/auth/link/{secret}/extra", "/auth/link/{token}/extra"),
        ("/api/invites/{secret}/decline", "/api/invites/{token}/decline"),
        ("/orgs/acme/{secret}", "/orgs/acme/{redacted}"),
        ("/orgs/acme/digests/{uuid}", "/orgs/acme/digests/{uuid}"),
        ("/orgs/release-drafter-history/monitors", "/orgs/release-drafter-history/monitors"),
        ("/signin", "/signin"),
    ],
)
async def test_web_app_paths_are_logged_with_tokens_redacted(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str], path: str, logged: str
) -> None:
    secret = "Zx9" + uuid.uuid4().hex + "_Q"
    digest_id = str(uuid.uuid4())
    configure_logging("json")
    response = await client.get(
        path.format(secret=secret, uuid=digest_id), params={"code": secret, "state": secret}
    )
    assert response.status_code in (200, 404)
    [access] = _access_lines(capsys.readouterr().err)
    assert access["path"] == logged.replace("{uuid}", digest_id)
    assert secret not in json.dumps(access)


async def test_api_routes_are_logged_by_template(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = uuid.uuid4().hex * 2
    configure_logging("json")
    await client.get(f"/auth/link/{secret}")
    await client.get(f"/api/invites/{secret}")
    await client.post(f"/api/invites/{secret}/accept")
    await client.get(f"/api/feeds/isf_{secret}.atom")
    lines = _access_lines(capsys.readouterr().err)
    assert [line["path"] for line in lines] == [
        "/auth/link/{token}",
        "/api/invites/{token}",
        "/api/invites/{token}/accept",
        "/api/feeds/{token}.atom",
    ]
    assert secret not in json.dumps(lines)


# The real server, end to end -------------------------------------------------------------


@dataclass
class Secrets:
    """Everything the walk created that must never be logged."""

    tokens: set[str] = field(default_factory=set)  # random: no run of FRAGMENT chars may show
    exact: set[str] = field(default_factory=set)  # emails and the like: checked whole

    def add(self, *values: str | None) -> None:
        for value in values:
            assert value, "the walk lost a secret it meant to check"
            self.tokens.add(value)

    def leaked_in(self, text: str) -> list[str]:
        leaks = [value for value in self.exact if value in text]
        for value in self.tokens:
            fragments = {value[i : i + FRAGMENT] for i in range(max(1, len(value) - FRAGMENT + 1))}
            leaks.extend(f"{fragment!r} of a secret" for fragment in fragments if fragment in text)
        return sorted(leaks)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url  # type: ignore[attr-defined]
        yield fake


def _approve_on_github(authorize: httpx.Response) -> str:
    """Follows the server's redirect to (fake) GitHub; returns the callback path and query."""
    assert authorize.status_code == 302, authorize.text
    with httpx.Client() as internet:
        approved = internet.get(authorize.headers["location"])
    assert approved.status_code == 302, approved.text
    callback = urlsplit(approved.headers["location"])
    return f"{callback.path}?{callback.query}"


def _oauth_secrets(callback: str, secrets: Secrets) -> None:
    query = parse_qs(urlsplit(callback).query)
    secrets.add(query["code"][0], query["state"][0])


def _error_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query).get("error", ["none"])[0]


def _signed_in(browser: httpx.Client, secrets: Secrets) -> None:
    """Notes the browser's session and CSRF values, and sends CSRF as the web app does."""
    cookie = browser.cookies[SESSION_COOKIE]
    csrf = browser.cookies[CSRF_COOKIE]
    secrets.add(cookie, cookie.rpartition(".")[0], cookie.rpartition(".")[2], csrf)
    browser.headers["X-CSRF-Token"] = csrf


def _sign_in_with_github(base_url: str, github: FakeGitHub, secrets: Secrets) -> httpx.Client:
    browser = httpx.Client(base_url=base_url)
    # Forced error: GitHub fails the token exchange.
    github.fail_token_exchange_with = 502
    callback = _approve_on_github(browser.get("/auth/github/login"))
    _oauth_secrets(callback, secrets)
    assert _error_of(browser.get(callback)) == "github_unavailable"
    github.fail_token_exchange_with = None
    # Forced error: a callback arriving in a browser that did not start the sign-in.
    callback = _approve_on_github(browser.get("/auth/github/login"))
    _oauth_secrets(callback, secrets)
    with httpx.Client(base_url=base_url) as stranger:
        assert _error_of(stranger.get(callback)) == "bad_state"
    # The real thing (the code above was never used, so the state is still good).
    assert _error_of(browser.get(callback)) == "none"
    _signed_in(browser, secrets)
    return browser


def _start_connect(browser: httpx.Client) -> str:
    """Consents on the web app's page (a POST with the CSRF header), then on GitHub."""
    started = browser.post("/auth/github/connect", json={"private": True, "return_to": "/orgs"})
    assert started.status_code == 200, started.text
    with httpx.Client() as internet:
        approved = internet.get(started.json()["authorize_url"])
    assert approved.status_code == 302, approved.text
    callback = urlsplit(approved.headers["location"])
    return f"{callback.path}?{callback.query}"


def _connect_github(base_url: str, browser: httpx.Client, secrets: Secrets) -> None:
    assert browser.get("/auth/github/connect", params={"private": "true"}).status_code == 302
    with httpx.Client(base_url=base_url, cookies=browser.cookies) as forged:
        # Forced errors: no CSRF header (a cross-site form), and no session at all.
        assert forged.post("/auth/github/connect", json={}).status_code == 403
    with httpx.Client(base_url=base_url) as signed_out:
        assert signed_out.post("/auth/github/connect", json={}).status_code == 401
    # Forced error: the grant comes back to a browser that is not signed in.
    callback = _start_connect(browser)
    secrets.add(browser.cookies[OAUTH_STATE_COOKIE])
    _oauth_secrets(callback, secrets)
    state_only = {OAUTH_STATE_COOKIE: browser.cookies[OAUTH_STATE_COOKIE]}
    with httpx.Client(base_url=base_url, cookies=state_only) as signed_out:
        assert _error_of(signed_out.get(callback)) == "connect_needs_sign_in"
    callback = _start_connect(browser)
    _oauth_secrets(callback, secrets)
    assert _error_of(browser.get(callback)) == "none"
    assert browser.get("/api/me").json()["github"]["private_access"] is True


def _org_with_invites_and_a_key(browser: httpx.Client, secrets: Secrets) -> tuple[str, str]:
    created = browser.post("/api/orgs", json={"name": "Acme", "slug": "acme"})
    assert created.status_code == 201, created.text
    invite = browser.post("/api/orgs/acme/invites", json={"role": "admin"})
    assert invite.status_code == 201, invite.text
    bound = browser.post(
        "/api/orgs/acme/invites", json={"role": "member", "email": "cara@example.com"}
    )
    assert bound.status_code == 201, bound.text
    key = browser.post("/api/orgs/acme/api-keys", json={"name": "ci", "role": "viewer"})
    assert key.status_code == 201, key.text
    secrets.add(invite.json()["token"], bound.json()["token"], key.json()["key"])
    assert browser.get("/api/orgs/acme", headers=_bearer(key.json()["key"])).status_code == 200
    wrong_key = "isk_" + uuid.uuid4().hex + uuid.uuid4().hex[:11]
    secrets.add(wrong_key)
    assert browser.get("/api/orgs/acme", headers=_bearer(wrong_key)).status_code == 401
    return invite.json()["token"], bound.json()["token"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _sign_in_with_a_link(
    base_url: str, cwd: Path, environment: dict[str, str], secrets: Secrets
) -> httpx.Client:
    made = run_cli("admin", "login-link", "--email", "bea@example.com", cwd=cwd, **environment)
    assert made.returncode == 0, made.stderr
    link = urlsplit(made.stdout.strip())
    token = link.path.rsplit("/", 1)[1]
    invalid = uuid.uuid4().hex + uuid.uuid4().hex[:11]
    secrets.add(token, invalid)
    browser = httpx.Client(base_url=base_url)
    assert _error_of(browser.get(f"/auth/link/{invalid}")) == "link_invalid"
    assert _error_of(browser.get(link.path, params={"return_to": "/orgs"})) == "none"
    _signed_in(browser, secrets)
    with httpx.Client(base_url=base_url) as again:
        assert _error_of(again.get(link.path)) == "link_used"
    return browser


def _follow_invites(browser: httpx.Client, invite: str, bound: str, secrets: Secrets) -> None:
    missing = uuid.uuid4().hex + uuid.uuid4().hex[:11]
    secrets.add(missing)
    assert browser.get(f"/invites/{invite}").status_code == 200  # the web app's deep link
    assert browser.get(f"/invites/{missing}", params={"ref": missing}).status_code == 200
    assert browser.get(f"/api/invites/{missing}").status_code == 404
    assert browser.get(f"/api/invites/{invite}").json()["role"] == "admin"
    assert browser.post(f"/api/invites/{invite}/accept").status_code == 200
    assert browser.post(f"/api/invites/{invite}/accept").status_code in (404, 409)
    assert browser.post(f"/api/invites/{bound}/accept").status_code == 403  # cara's, not bea's
    assert browser.post(f"/api/invites/{missing}/accept").status_code == 404


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_the_server_logs_no_secret_on_any_token_route(
    tmp_path: Path, database_url: str, github: FakeGitHub, log_format: LogFormat
) -> None:
    base: str = github.base_url  # type: ignore[attr-defined]
    secret_key = "sk-" + uuid.uuid4().hex
    environment = {
        "INFRASYNC_DATABASE_URL": database_url,
        "INFRASYNC_LOG_FORMAT": log_format,
        "INFRASYNC_SECRET_KEY": secret_key,
        "INFRASYNC_GITHUB_CLIENT_ID": github.client_id,
        "INFRASYNC_GITHUB_CLIENT_SECRET": github.client_secret,
        "INFRASYNC_GITHUB_URL": base,
        "INFRASYNC_GITHUB_API_URL": base,
    }
    secrets = Secrets(exact={"octocat@example.com", "bea@example.com", "cara@example.com"})
    secrets.add(secret_key, github.client_secret)
    cwd = tmp_path / "serve"
    cwd.mkdir()
    with live_server(cwd, "--no-worker", **environment) as base_url:
        ada = _sign_in_with_github(base_url, github, secrets)
        _connect_github(base_url, ada, secrets)
        invite, bound = _org_with_invites_and_a_key(ada, secrets)
        bea = _sign_in_with_a_link(base_url, tmp_path, environment, secrets)
        _follow_invites(bea, invite, bound, secrets)
        for browser in (ada, bea):
            assert browser.post("/auth/logout").status_code == 204
            browser.close()
    secrets.add(*github.tokens)  # every GitHub access token the walk was granted
    assert len(github.tokens) == 3  # signing in, and connecting twice

    output = server_output(cwd)
    # No secret, nor any part of one, is in anything the server printed…
    assert secrets.leaked_in(output) == [], output[-5000:]
    # …and the walk was logged, so finding nothing means something.
    for route in (
        "/auth/link/{token}",
        "/api/invites/{token}",
        "/api/invites/{token}/accept",
        "/auth/github/callback",
        "/auth/github/connect",
        "/invites/{token}",
    ):
        # Whole: `/invites/{token}` inside `/api/invites/{token}/accept` does not count.
        assert re.search(rf"(?<![\w/]){re.escape(route)}(?![\w/])", output), route
    assert "token_exchange_http_502" in output  # the failure's reason, as a fixed code
