"""The one GitHub client: GraphQL for activity, REST where GraphQL lacks something.

Every request goes through `_send`, which
- waits while the token is rate limited (or fails fast with "rate limited until HH:MM"
  when the wait is longer than a job should block),
- keeps at most `ledger.max_concurrency` requests in flight per token,
- records the rate-limit figures of every response,
- retries 5xx answers and timeouts with jittered exponential backoff, and secondary rate
  limits after `retry-after` (or at least a minute, doubling), and
- turns 401, 403 and 404 into permanent errors the monitor can show.

REST GETs follow redirects: renamed and transferred repositories answer 301 or 307.
The token never appears in a log line, an exception or a repr.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
import structlog
from pydantic import SecretStr

from infrasync import __version__
from infrasync.config import Settings
from infrasync.github.errors import (
    GitHubAccessDenied,
    GitHubError,
    GitHubNotFound,
    GitHubQueryRejected,
    GitHubRateLimited,
    GitHubRequestFailed,
    GitHubTokenRejected,
    GitHubUnavailable,
)
from infrasync.github.ratelimit import (
    RateLimitLedger,
    shared_ledger,
    snapshot_from_headers,
    token_label,
)
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token

log = structlog.get_logger(__name__)

API_VERSION = "2022-11-28"
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]

_SECONDARY_MESSAGES = ("secondary rate limit", "abuse detection")
_PRIMARY_MESSAGES = ("api rate limit exceeded", "api rate limit already exceeded")
# GitHub's answer when a GraphQL query ran out of time on its side.
_GRAPHQL_TIMEOUT_MESSAGE = "something went wrong while executing your query"


@dataclass(frozen=True)
class RetryPolicy:
    """How patient the client is. Tests shrink the waits by injecting `sleep`, never by
    changing what GitHub asked for."""

    timeout_seconds: float = 30.0
    # 5xx and timeouts: attempts in all, and the backoff between them.
    max_attempts: int = 5
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    # Secondary limits without `retry-after`: GitHub asks for at least a minute.
    secondary_min_wait_seconds: float = 60.0
    secondary_max_attempts: int = 4
    # Primary limits: wait for the reset when it is this close, else fail the job.
    max_rate_limit_wait: timedelta = timedelta(minutes=15)
    max_primary_waits: int = 2


@dataclass(frozen=True)
class RestResponse:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    text: str
    # The new address when GitHub answered 301 (a renamed or transferred repository).
    moved_to: str | None = None

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass(frozen=True)
class GraphQLErrorInfo:
    message: str
    type: str | None
    path: tuple[str | int, ...]

    @property
    def alias(self) -> str | None:
        return str(self.path[0]) if self.path else None


@dataclass(frozen=True)
class GraphQLResult:
    data: dict[str, Any]
    errors: tuple[GraphQLErrorInfo, ...]
    cost: int | None

    def errors_at(self, alias: str) -> list[GraphQLErrorInfo]:
        return [error for error in self.errors if error.alias == alias]


class _Retry(Exception):
    """Internal: the attempt failed in a way worth another try."""

    def __init__(self, kind: str, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind  # "transient" | "secondary" | "primary"
        self.reason = reason
        self.wait = wait


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once per process: building it reads the CA
    bundle (~40 ms of CPU), which a client per digest run otherwise paid every time, a
    third of a worker's CPU per digest (bench/fanout.py)."""
    return httpx.create_ssl_context()


class _TokenAuth(httpx.Auth):
    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "_TokenAuth(<hidden>)"


class GitHubClient:
    def __init__(
        self,
        token: SecretStr | str,
        *,
        api_url: str = "https://api.github.com",
        graphql_url: str | None = None,
        ledger: RateLimitLedger | None = None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utcnow,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        self.token_hash = hash_token(secret.get_secret_value())
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url or self.api_url + "/graphql"
        self.ledger = ledger if ledger is not None else shared_ledger()
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._http = httpx.AsyncClient(
            auth=_TokenAuth(secret),
            verify=_tls(),
            follow_redirects=True,
            timeout=self.policy.timeout_seconds,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"infrasync/{__version__}",
            },
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, token: SecretStr | str, **options: Any
    ) -> GitHubClient:
        return cls(
            token,
            api_url=settings.github_api_url,
            graphql_url=settings.effective_github_graphql_url,
            **options,
        )

    @property
    def label(self) -> str:
        return token_label(self.token_hash)

    def __repr__(self) -> str:
        return f"GitHubClient(token={self.label}, api={self.api_url})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # GraphQL -------------------------------------------------------------------------

    async def graphql(self, query: str, variables: dict[str, Any]) -> GraphQLResult:
        """Runs one query. Errors that belong to one alias (a repository not found) come
        back in the result; errors that sink the whole query are raised."""
        body = {"query": query, "variables": variables}
        return await self._with_retries(
            "graphql", lambda: self._graphql_attempt(body), describe="GraphQL query"
        )

    async def _graphql_attempt(self, body: dict[str, Any]) -> GraphQLResult:
        response = await self._exchange("POST", self.graphql_url, "graphql", json_body=body)
        try:
            payload = response.json()
        except ValueError:
            raise _Retry(
                "transient", "GitHub answered GraphQL with a body that is not JSON"
            ) from None
        errors = tuple(_graphql_errors(payload.get("errors")))
        self._check_graphql_limits(response, errors)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self._whole_query_failure(errors)
        cost = _graphql_cost(data)
        self.ledger.add_cost(self.token_hash, "graphql", cost)
        return GraphQLResult(data=data, errors=errors, cost=cost)

    def _check_graphql_limits(
        self, response: httpx.Response, errors: tuple[GraphQLErrorInfo, ...]
    ) -> None:
        # The primary limit comes back as HTTP 200 with a RATE_LIMITED error.
        for error in errors:
            lowered = error.message.lower()
            if any(m in lowered for m in _SECONDARY_MESSAGES):
                raise _Retry("secondary", error.message, _retry_after(response))
            if error.type == "RATE_LIMITED" or any(m in lowered for m in _PRIMARY_MESSAGES):
                self._exhaust_from(response, "graphql")
                raise _Retry("primary", error.message)

    def _whole_query_failure(self, errors: tuple[GraphQLErrorInfo, ...]) -> Exception:
        first = errors[0].message if errors else "no data and no error"
        if first.lower().startswith(_GRAPHQL_TIMEOUT_MESSAGE):
            return _Retry("transient", "GitHub timed out running the query")
        return GitHubQueryRejected(f"GitHub rejected a GraphQL query: {first}")

    # REST ----------------------------------------------------------------------------

    def absolute_url(self, path_or_url: str, params: dict[str, Any] | None = None) -> str:
        url = path_or_url if "://" in path_or_url else self.api_url + path_or_url
        self._check_origin(url)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def _check_origin(self, url: str) -> None:
        # A full URL may come from data (an answer's `url` field); the token goes only
        # to the API host we were configured with.
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
            raise GitHubRequestFailed(f"refusing to send the GitHub token to {theirs.netloc}")

    async def rest_get(
        self, path_or_url: str, params: dict[str, Any] | None = None
    ) -> RestResponse:
        url = self.absolute_url(path_or_url, params)
        return await self._with_retries(
            _rest_resource(url),
            lambda: self._rest_attempt(url),
            describe=f"GET {urlsplit(url).path}",
        )

    async def _rest_attempt(self, url: str) -> RestResponse:
        response = await self._exchange("GET", url, _rest_resource(url))
        moved_to = (
            str(response.url) if any(r.status_code == 301 for r in response.history) else None
        )
        return RestResponse(
            url=str(response.url),
            status=response.status_code,
            headers=response.headers,
            text=response.text,
            moved_to=moved_to,
        )

    # The request core ----------------------------------------------------------------

    async def _with_retries(
        self, resource: str, attempt: Callable[[], Awaitable[T]], *, describe: str
    ) -> T:
        transient = secondary = primary = 0
        while True:
            await self._wait_until_allowed(resource)
            try:
                return await attempt()
            except _Retry as retry:
                if retry.kind == "primary":
                    primary += 1
                    if primary > self.policy.max_primary_waits:
                        raise self._primary_limited(resource) from None
                    log.warning("github.rate_limited", token=self.label, resource=resource)
                    continue  # _wait_until_allowed waits for the reset, or raises
                if retry.kind == "secondary":
                    secondary += 1
                    await self._back_off_secondary(retry, secondary)
                    continue
                transient += 1
                if transient >= self.policy.max_attempts:
                    raise GitHubUnavailable(
                        f"GitHub is unavailable: {retry.reason} ({describe}, {transient} attempts)."
                    ) from None
                await self._back_off_transient(retry, transient, describe)

    async def _wait_until_allowed(self, resource: str) -> None:
        now = self._clock()
        until = self.ledger.blocked_until(self.token_hash, resource, now)
        if until is None:
            return
        if until - now > self.policy.max_rate_limit_wait:
            raise GitHubRateLimited(until, secondary=self.ledger.is_paused(self.token_hash, now))
        log.info("github.waiting", token=self.label, resource=resource, until=until.isoformat())
        await self._sleep((until - now).total_seconds())

    def _primary_limited(self, resource: str) -> GitHubRateLimited:
        now = self._clock()
        until = self.ledger.blocked_until(self.token_hash, resource, now)
        return GitHubRateLimited(until or now + self.policy.max_rate_limit_wait)

    async def _back_off_secondary(self, retry: _Retry, attempt: int) -> None:
        minimum = self.policy.secondary_min_wait_seconds
        wait = retry.wait if retry.wait is not None else minimum * 2 ** (attempt - 1)
        until = self._clock() + timedelta(seconds=wait)
        if attempt > self.policy.secondary_max_attempts:
            raise GitHubRateLimited(until, secondary=True)
        # Every request on this token holds off, not just this one: GitHub counts the
        # token, and hammering on would extend the penalty.
        self.ledger.pause(self.token_hash, until)
        log.warning(
            "github.secondary_rate_limit", token=self.label, wait_seconds=wait, attempt=attempt
        )

    async def _back_off_transient(self, retry: _Retry, attempt: int, describe: str) -> None:
        ceiling = min(
            self.policy.backoff_cap_seconds, self.policy.backoff_base_seconds * 2 ** (attempt - 1)
        )
        # Jitter spreads out the retries of many workers hit by the same outage.
        wait = ceiling * (0.5 + self._jitter() / 2)
        log.warning(
            "github.retrying", token=self.label, reason=retry.reason, request=describe,
            attempt=attempt, wait_seconds=round(wait, 3),
        )  # fmt: skip
        await self._sleep(wait)

    async def _exchange(
        self,
        method: str,
        url: str,
        resource: str,
        *,
        json_body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """One HTTP exchange: sends, records the figures, sorts the answer."""
        try:
            async with self.ledger.slot(self.token_hash):
                response = await self._http.request(method, url, json=json_body)
        except httpx.TimeoutException:
            raise _Retry("transient", "no answer in time") from None
        except httpx.TransportError as error:
            raise _Retry("transient", f"connection failed ({type(error).__name__})") from None
        self._record(response, resource)
        log.debug(
            "github.request", token=self.label, method=method, path=urlsplit(url).path,
            status=response.status_code, remaining=response.headers.get("x-ratelimit-remaining"),
        )  # fmt: skip
        _raise_for_status(response, self._exhaust_from)
        return response

    def _record(self, response: httpx.Response, resource: str) -> None:
        # GraphQL's cost is known once the body is read (`rateLimit.cost`); a REST call costs 1.
        cost = None if resource == "graphql" else 1
        snapshot = snapshot_from_headers(
            response.headers, default_resource=resource, cost=cost, now=self._clock()
        )
        if snapshot is not None:
            self.ledger.record(self.token_hash, snapshot)

    def _exhaust_from(self, response: httpx.Response, resource: str) -> None:
        now = self._clock()
        snapshot = snapshot_from_headers(
            response.headers, default_resource=resource, cost=None, now=now
        )
        reset = snapshot.reset_at if snapshot and snapshot.reset_at else None
        self.ledger.exhaust(
            self.token_hash,
            snapshot.resource if snapshot else resource,
            reset or now + timedelta(seconds=60),
            now,
        )


def _raise_for_status(
    response: httpx.Response, exhaust: Callable[[httpx.Response, str], None]
) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise GitHubTokenRejected()
    if status in (403, 429):
        _raise_for_forbidden(response, exhaust)
    message = _error_message(response)
    if status == 404:
        raise GitHubNotFound(f"GitHub answered 404 for {urlsplit(str(response.url)).path}.")
    if status >= 500:
        raise _Retry("transient", f"HTTP {status}")
    raise GitHubRequestFailed(f"GitHub answered HTTP {status}: {message}")


def _raise_for_forbidden(
    response: httpx.Response, exhaust: Callable[[httpx.Response, str], None]
) -> None:
    """403/429: a primary limit, a secondary limit, or a plain refusal (GitHub's docs:
    `retry-after` first, then `x-ratelimit-remaining: 0`, then the message)."""
    message = _error_message(response)
    lowered = message.lower()
    retry_after = _retry_after(response)
    secondary = any(m in lowered for m in _SECONDARY_MESSAGES)
    if retry_after is not None or secondary:
        raise _Retry("secondary", message or "secondary rate limit", retry_after)
    if response.headers.get("x-ratelimit-remaining") == "0" or any(
        m in lowered for m in _PRIMARY_MESSAGES
    ):
        exhaust(response, response.headers.get("x-ratelimit-resource") or "core")
        raise _Retry("primary", message)
    if response.status_code == 429:
        raise _Retry("secondary", message or "too many requests")
    raise GitHubAccessDenied(f"GitHub refused access: {message or 'HTTP 403'}")


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _rest_resource(url: str) -> str:
    return "search" if urlsplit(url).path.rstrip("/").endswith("/search/issues") else "core"


def _graphql_errors(raw: object) -> list[GraphQLErrorInfo]:
    if not isinstance(raw, list):
        return []
    errors = []
    for item in raw:
        if isinstance(item, dict):
            path = item.get("path")
            errors.append(
                GraphQLErrorInfo(
                    message=str(item.get("message", "")),
                    type=item.get("type") if isinstance(item.get("type"), str) else None,
                    path=tuple(path) if isinstance(path, list) else (),
                )
            )
    return errors


def _graphql_cost(data: dict[str, Any]) -> int | None:
    rate = data.get("rateLimit")
    cost = rate.get("cost") if isinstance(rate, dict) else None
    return cost if isinstance(cost, int) else None


__all__ = [
    "API_VERSION",
    "GitHubClient",
    "GitHubError",
    "GraphQLErrorInfo",
    "GraphQLResult",
    "RestResponse",
    "RetryPolicy",
]
