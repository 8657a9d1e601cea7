"""The session and CSRF cookies: where they apply, and setting and clearing them with
identical attributes (a cookie cleared with another domain or path survives)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from fastapi import Response
from publicsuffixlist import PublicSuffixList

from infrasync.config import Settings
from infrasync.kit.time import utcnow

SESSION_COOKIE = "infrasync_session"
CSRF_COOKIE = "infrasync_csrf"
OAUTH_STATE_COOKIE = "infrasync_oauth_state"
OAUTH_STATE_PATH = "/auth/github"
_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


@cache
def _public_suffixes() -> PublicSuffixList:
    # The list ships inside the package: no download at run time.
    return PublicSuffixList()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _is_local_or_ip(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _shared_parent(first: str, second: str) -> str:
    first_labels, second_labels = first.split("."), second.split(".")
    shared: list[str] = []
    for a, b in zip(reversed(first_labels), reversed(second_labels), strict=False):
        if a != b:
            break
        shared.append(a)
    return ".".join(reversed(shared))


def cookie_domain(frontend_url: str, public_url: str) -> str | None:
    """The `Domain` for cookies that the web app (at `frontend_url`) and the API (at
    `public_url`) must both see; None for a host-only cookie.

    Host-only whenever that is enough (one host, localhost, an IP), and whenever the only
    shared parent is a public suffix (`github.io`, `co.uk`), where a domain cookie would
    be readable by strangers' sites — browsers refuse those anyway.
    """
    frontend, api = _host(frontend_url), _host(public_url)
    if not frontend or not api or frontend == api:
        return None
    if _is_local_or_ip(frontend) or _is_local_or_ip(api):
        return None
    parent = _shared_parent(frontend, api)
    if not parent or _public_suffixes().privatesuffix(parent) is None:
        return None
    return "." + parent


def cookie_secure(public_url: str) -> bool:
    """Secure everywhere except plain-http localhost, where browsers would drop it."""
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    return not (parts.scheme == "http" and _is_local_or_ip(host))


@dataclass(frozen=True)
class CookiePolicy:
    domain: str | None
    secure: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> CookiePolicy:
        return cls(
            domain=cookie_domain(settings.effective_frontend_url, settings.public_url),
            secure=cookie_secure(settings.public_url),
        )

    def set_session(
        self, response: Response, session_value: str, csrf_value: str, expires_at: datetime
    ) -> None:
        max_age = max(0, int((expires_at - utcnow()).total_seconds()))
        response.set_cookie(
            SESSION_COOKIE,
            session_value,
            max_age=max_age,
            path="/",
            domain=self.domain,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        # Readable by the web app's JavaScript, which echoes it in X-CSRF-Token.
        response.set_cookie(
            CSRF_COOKIE,
            csrf_value,
            max_age=max_age,
            path="/",
            domain=self.domain,
            secure=self.secure,
            httponly=False,
            samesite="lax",
        )

    def clear_session(self, response: Response) -> None:
        for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
            response.delete_cookie(
                name,
                path="/",
                domain=self.domain,
                secure=self.secure,
                httponly=httponly,
                samesite="lax",
            )

    def set_oauth_state(self, response: Response, state: str, max_age: int) -> None:
        # Host-only and scoped to the callback: only the API host ever reads it.
        response.set_cookie(
            OAUTH_STATE_COOKIE,
            state,
            max_age=max_age,
            path=OAUTH_STATE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear_oauth_state(self, response: Response) -> None:
        response.delete_cookie(
            OAUTH_STATE_COOKIE,
            path=OAUTH_STATE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
