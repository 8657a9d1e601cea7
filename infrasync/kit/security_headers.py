"""Security headers on every response: API, web app, static files, errors and 404s.

The web app is a Vite build: external module scripts and one stylesheet, no inline script
or style, so its Content-Security-Policy allows scripts and styles from this origin only.
React's `style={…}` props go through the CSSOM, which CSP does not govern. The digest
HTML the app inserts carries no `style` attribute (a table column's alignment comes as
`align`): a browser checks a `style` attribute against this policy as soon as it parses
one, even inside DOMPurify's inert document, so stripping it there would come too late.

The API docs (`/docs`, `/redoc`, see infrasync/api_docs.py) load Swagger UI and ReDoc from
this server, never a CDN, and have no inline script. Their policy differs in two ways:
ReDoc's styled-components writes <style> tags at run time, so styles there may be inline
(scripts may not); images come from this origin only (ReDoc's logo would come from its
CDN); and Swagger UI's OAuth2 redirect page is FastAPI's, started by an
inline script, which is allowed by its SHA-256 computed from the page as sent, so no
other inline script can run there. Nothing on these pages comes from users.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Images may come from GitHub's avatar hosts (or a GitHub Enterprise Server's); an image
# cannot run code, so any https source is allowed rather than a list that goes stale.
_APP_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_DOCS_POLICY = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    # Not https: ReDoc's sidebar shows Redocly's logo from their CDN, which would tell
    # them who reads these docs and when. Blocked, ReDoc hides it (its onError).
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
HSTS = "max-age=31536000; includeSubDomains"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def app_policy(github_url: str) -> str:
    # Sign-in and connecting GitHub may be a form posted here that the server redirects
    # on to GitHub; form-action governs that redirect too.
    return "; ".join((*_APP_POLICY, f"form-action 'self' {_origin(github_url)}"))


def docs_policy(body: bytes, github_url: str) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    script_src = f"script-src 'self' {hashes}".rstrip()
    return "; ".join((*_DOCS_POLICY, script_src, f"form-action 'self' {_origin(github_url)}"))


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response; a header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, github_url: str, production: bool) -> None:
        self.app = app
        self.github_url = github_url
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        # HSTS only where the public address is https (production insists on it): sent
        # over plain http on a developer's machine it would be ignored at best.
        if production:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.common = common
        self.app_policy = app_policy(github_url).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(
                    message.get("headers", []),
                    [*self.common, (b"content-security-policy", self.app_policy)],
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Holds the (small) docs page back until it is whole, to hash its inline scripts."""
        start: Message | None = None
        body = bytearray()

        async def buffering_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            policy = docs_policy(bytes(body), self.github_url).encode()
            start["headers"] = _with_defaults(
                start.get("headers", []), [*self.common, (b"content-security-policy", policy)]
            )
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, buffering_send)


def _with_defaults(
    headers: Iterable[tuple[bytes, bytes]], defaults: Iterable[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    result = list(headers)
    present = {name.lower() for name, _ in result}
    result.extend((name, value) for name, value in defaults if name not in present)
    return result
