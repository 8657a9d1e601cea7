"""Checks every request passes before any route sees it: a bounded body, and no NUL.

One pure ASGI middleware, because both checks need the whole body and should read it
once, and because only a middleware sees every input of every route (the path, the query
string, the headers and cookies, the body) whatever its schema says, including the `dict`
fields and routes added later:

- **Size.** The body is read here, up to the limit, before a route reads it. A body over
  the limit is a 413 whether it declared its length or came in chunks: FastAPI turns an
  error raised while it reads a body into its own 400, so a limit that only counts as the
  route reads could not answer 413.
- **NUL.** Postgres refuses to store `\\x00` in text, so a NUL in any string input would be
  a 500 there (and a silently truncated value in some drivers). It is refused with a 400
  saying where it was. In a JSON body the only way to write a NUL inside a string is the
  escape `\\u0000`, so the body is scanned for that escape (not preceded by an escaping
  backslash) and for a raw NUL byte, without parsing the JSON a second time.
"""

from __future__ import annotations

import re

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrasync.http_errors import error_response

MAX_REQUEST_BODY_BYTES = 1024 * 1024

# `\u0000` after an even number of backslashes (none included): the backslash before `u`
# starts an escape. After an odd number, `\\u0000` is a backslash and the text "u0000".
_JSON_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_text_has_nul(body: bytes) -> bool:
    """Whether `body`, read as JSON, holds a NUL in a string (or a raw NUL anywhere)."""
    if b"\x00" in body:
        return True
    return b"u0000" in body and _JSON_NUL_ESCAPE.search(body) is not None


def _nul_in_head(scope: Scope) -> str | None:
    """Where the request line or headers hold a NUL, in words; None when they hold none."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return "query string"
    for name, value in scope.get("headers", []):
        if b"\x00" in name or b"\x00" in value:
            return f"{name.decode('latin-1', 'replace')} header"
        if name == b"cookie" and _cookie_has_nul(value):
            # A quoted cookie value may spell a NUL as the octal escape `\000`.
            return "cookie header"
    return None


def _cookie_has_nul(value: bytes) -> bool:
    # Parsed as the routes' `request.cookies` parse it, so what is checked is what they read.
    cookies = cookie_parser(value.decode("latin-1"))
    return any("\x00" in key or "\x00" in text for key, text in cookies.items())


def _refusal(where: str) -> str:
    return (
        f"The request's {where} contains a NUL character (\\u0000), which Infrasync cannot "
        "store; remove it and send the request again."
    )


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> list[Message]:
    """The messages that carry the body, read to its end (or to the client leaving).
    Raises _BodyTooLarge as soon as more than `limit` bytes have come."""
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # http.disconnect: the route will see it too
            return messages
        received += len(message.get("body", b""))
        if received > limit:
            raise _BodyTooLarge
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the route the body already read, then the live channel (a
    disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class RequestGuardMiddleware:
    """413 for a body over `limit`, 400 for a NUL in any input; see the module docstring."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        where = _nul_in_head(scope)
        if where is not None:
            await error_response(400, _refusal(where))(scope, receive, send)
            return
        try:
            messages = await _read_body(receive, self.limit)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if json_text_has_nul(body):
            await error_response(400, _refusal("body"))(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, f"The request body is larger than {self.limit // 1024} KiB; send less."
        )
        await response(scope, receive, send)
