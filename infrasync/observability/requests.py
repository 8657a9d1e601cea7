"""Per-request plumbing in one pure-ASGI middleware: request id, access log, metrics.

Pure ASGI rather than `BaseHTTPMiddleware` because the latter buffers streaming
responses and breaks contextvars propagation in some Starlette versions.

The access log never records a raw path or a query string (SPEC §6): sign-in links,
invites and OAuth codes travel in them, and a log is read by more people than the
secrets were meant for. It records the route template, as metrics do.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrasync.http_errors import internal_error_response
from infrasync.observability.metrics import HttpMetrics

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is reused only when it cannot smuggle anything into a log line or header.
_WELL_FORMED_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
UNMATCHED_ROUTE = "<unmatched>"
TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 (what a logged token is replaced with)
REDACTED_PLACEHOLDER = "{redacted}"
# Paths whose next segment is a secret, for the catch-all routes that serve them: the web
# app's invite link, and a mistyped server link (`/auth/link/<token>/x`) that no exact
# route matched.
_TOKEN_AFTER: tuple[tuple[str, ...], ...] = (("invites",), ("api", "invites"), ("auth", "link"))
# Segments kept as they are: short ones, ids, and slug-like words. Anything else as long as
# a token could be one (tokens are 43 random characters) is replaced.
_SHORT_SEGMENT = 16
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_WORDS = re.compile(r"^[a-z]+(?:[-_.][a-z]+)*$")
_MAX_LOGGED_PATH = 200

access_log = structlog.get_logger("infrasync.access")


def request_id_from(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _WELL_FORMED_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path as declared (`/api/orgs/{org}`), so metrics do not grow a label per id."""
    path: object = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def _is_catch_all(template: str) -> bool:
    return template == UNMATCHED_ROUTE or ":path}" in template


def _looks_secret(segment: str) -> bool:
    if len(segment) < _SHORT_SEGMENT:
        return False
    return not (_UUID.match(segment) or _WORDS.match(segment))


def redacted_path(path: str) -> str:
    """`path` with every segment that is, or may be, a token replaced by a placeholder."""
    segments = path.split("/")
    kept: list[str] = []
    for index, segment in enumerate(segments):
        before = tuple(s for s in segments[:index] if s)
        if segment and before in _TOKEN_AFTER:
            kept.append(TOKEN_PLACEHOLDER)
        elif _looks_secret(segment):
            kept.append(REDACTED_PLACEHOLDER)
        else:
            kept.append(segment)
    shown = "/".join(kept)
    return shown if len(shown) <= _MAX_LOGGED_PATH else shown[:_MAX_LOGGED_PATH] + "…"


def loggable_path(scope: Scope) -> str:
    """What the access log may say about the path: the route template when a route
    declared one, or, for the catch-alls (the web app's deep links, unknown paths), the
    path with anything token-like redacted. Never the query string."""
    template = route_template(scope)
    if not _is_catch_all(template):
        return template
    return redacted_path(str(scope.get("path", "")))


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                status_code = message["status"]
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            access_log.exception(
                "unhandled error", method=scope["method"], path=loggable_path(scope)
            )
            if response_started:
                raise  # too late for a clean 500; the server closes the connection
            await internal_error_response()(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status_code, elapsed)
            access_log.info(
                "request",
                method=scope["method"],
                path=loggable_path(scope),
                route=route,
                status=status_code,
                duration_ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()
