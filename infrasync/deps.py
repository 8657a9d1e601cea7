"""Who is calling, and what they may do: the only place routes get a session, a caller
or an org (ARCHITECTURE "Tenancy in one place").

Every `/api/orgs/{org}` route declares the least role it needs with one of
`ViewerOrg`, `MemberOrg`, `AdminOrg`, `OwnerOrg`; the org is resolved from the slug here,
once, and repositories take the org id from the resulting `OrgContext`. A caller who is
not in the org gets 404 (nothing leaks its existence); one with too small a role, 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth import service as auth_service
from infrasync.auth.context import OrgContext, Principal, weaker
from infrasync.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from infrasync.auth.rate_limit import Limit, hit
from infrasync.config import Settings
from infrasync.db import session_scope
from infrasync.errors import Forbidden, NotFound, Unauthorized
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import equal
from infrasync.models import AuthSession, Role, User

__all__ = [
    "AdminOrg",
    "AppSettings",
    "Caller",
    "Client",
    "CurrentUser",
    "DbSession",
    "DeletedOrgOwner",
    "MemberOrg",
    "OrgContext",
    "OwnerOrg",
    "Principal",
    "RateLimit",
    "RestoringUser",
    "RoleRequirement",
    "ViewerOrg",
    "check_csrf",
    "cookie_session",
    "read_only",
]

API_KEY_PREFIX = "isk_"
PENDING_RESTORE = (
    "Your account is deleted. Restore it with POST /api/me/restore (the web app asks at "
    "/account/restore), or sign out."
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
# An API key's last use is written at most this often: keys used in a loop would
# otherwise turn every read into a write.
API_KEY_TOUCH_SECONDS = 60


_READ_ONLY = "_infrasync_read_only"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def read_only(endpoint: Endpoint) -> Endpoint:
    """Marks a GET route that only reads (and may note a key's or a session's last use,
    each one UPDATE that needs no company): on Postgres its statements then run without a
    transaction around them, saving the BEGIN and COMMIT round trips (two of five on the
    monitors list). Never for a route whose writes must stand or fall together."""
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


def _reads_only(request: Request, session: AsyncSession) -> bool:
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return (
        request.method in SAFE_METHODS
        and getattr(endpoint, _READ_ONLY, False)
        # On SQLite a read opens no transaction anyway (sqlite3 begins one before a
        # write only), so there is nothing to save.
        and session.bind is not None
        and session.bind.dialect.name == "postgresql"
    )


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(request.app.state.session_factory) as session:
        if _reads_only(request, session):
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the commit happens before the response is sent, so a client that got
# a 201 can read what it created on its very next request.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
Client = Annotated[ClientInfo, Depends(ClientInfo.of)]


async def _api_key_principal(session: AsyncSession, token: str) -> Principal:
    found = (
        await auth_service.live_api_key(session, token)
        if token.startswith(API_KEY_PREFIX)
        else None
    )
    if found is None:
        # Revoked, of a deleted org, or its creator has left: one answer for all, so a
        # key's holder learns nothing about the org.
        raise Unauthorized(
            "The API key is not valid or has been revoked.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key, creator_role, org = found
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > API_KEY_TOUCH_SECONDS:
        key.last_used_at = now
    return Principal(api_key=key, api_key_role=weaker(key.role, creator_role), api_key_org=org)


def check_csrf(request: Request, secret_key: str, token: str) -> None:
    if request.method not in UNSAFE_METHODS:
        return
    header = request.headers.get("x-csrf-token")
    cookie = request.cookies.get(CSRF_COOKIE)
    expected = auth_service.csrf_token_for(secret_key, token)
    if not (equal(header, expected) and equal(cookie, expected)):
        raise Forbidden(
            "Missing or wrong X-CSRF-Token header: send the value of the infrasync_csrf "
            "cookie with every POST, PUT, PATCH and DELETE."
        )


async def get_principal(request: Request, session: DbSession, settings: AppSettings) -> Principal:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized("Use `Authorization: Bearer isk_…` with an API key.")
        return await _api_key_principal(session, credentials.strip())

    if not request.cookies.get(SESSION_COOKIE):
        return Principal()
    found = await cookie_session(request, session, settings, include_deleted_user=True)
    if found is None:
        raise Unauthorized("Your session has ended; please sign in again.")
    if found.user.deleted_at is not None:
        # Signed in again after deleting the account: until they choose to restore it,
        # this session can read GET /api/me, restore (POST /api/me/restore) or sign out.
        raise Forbidden(PENDING_RESTORE)
    return Principal(user=found.user)


@dataclass(frozen=True)
class CookieSession:
    row: AuthSession
    user: User


async def cookie_session(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    *,
    include_deleted_user: bool = False,
) -> CookieSession | None:
    """The live session this browser's cookie names, or None; for an unsafe method, only
    with the right CSRF header (else Forbidden). The one reader of the session cookie.
    `include_deleted_user` also finds a deleted user's pending-restore session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    secret_key = settings.effective_secret_key
    token = auth_service.token_from_cookie(secret_key, cookie) if cookie else None
    resolved = (
        await auth_service.resolve_session(
            session, token, include_deleted_user=include_deleted_user
        )
        if token
        else None
    )
    if token is None or resolved is None:
        return None
    check_csrf(request, secret_key, token)
    return CookieSession(row=resolved[0], user=resolved[1])


Caller = Annotated[Principal, Depends(get_principal)]


async def current_user(principal: Caller) -> User:
    if principal.api_key is not None:
        raise Unauthorized("API keys work on /api/orgs/{org}/… routes only; sign in for this one.")
    if principal.user is None:
        raise Unauthorized("Sign in first.")
    return principal.user


CurrentUser = Annotated[User, Depends(current_user)]


async def restoring_user(request: Request, session: DbSession, settings: AppSettings) -> User:
    """The signed-in person, also while their account is deleted and pending restore:
    only GET /api/me and POST /api/me/restore take this."""
    if request.headers.get("authorization") is not None:
        raise Unauthorized("API keys work on /api/orgs/{org}/… routes only; sign in for this one.")
    if not request.cookies.get(SESSION_COOKIE):
        raise Unauthorized("Sign in first.")
    found = await cookie_session(request, session, settings, include_deleted_user=True)
    if found is None:
        raise Unauthorized("Your session has ended; please sign in again.")
    return found.user


# The signed-in user, deleted or not (see restoring_user).
RestoringUser = Annotated[User, Depends(restoring_user)]


class RoleRequirement:
    """Resolves `{org}` for the caller and demands `role` or stronger.

    `include_deleted` also finds a soft-deleted org (to restore it); such a route takes
    a signed-in person only, since a deleted org's keys are dead.
    """

    def __init__(self, role: Role, *, include_deleted: bool = False) -> None:
        self.role = role
        self.include_deleted = include_deleted

    async def __call__(
        self, org: str, request: Request, session: DbSession, settings: AppSettings
    ) -> OrgContext:
        # Not through `Caller`: a session cookie is read here together with the org and
        # the membership, in one statement (an API key already brings its org).
        if request.headers.get("authorization") is not None:
            context = self._key_context(org, await get_principal(request, session, settings))
        elif request.cookies.get(SESSION_COOKIE):
            context = await self._member_context(org, request, session, settings)
        else:
            raise Unauthorized("Sign in, or send an API key as `Authorization: Bearer isk_…`.")
        if not context.role.at_least(self.role):
            raise Forbidden(
                f"This needs the {self.role.value} role or higher in {context.org.name}; "
                f"you are {context.role.value}."
            )
        return context

    def _key_context(self, slug: str, principal: Principal) -> OrgContext:
        # The key's org came with the key (a live key's org is never deleted). Another
        # org's is a 404 before anything else, so a key learns nothing of it.
        org, role = principal.api_key_org, principal.api_key_role
        if org is None or role is None or org.slug != slug:
            raise NotFound(f"No org {slug!r} that you belong to.")
        if self.include_deleted:
            raise Unauthorized("Sign in as an owner to do this; API keys cannot.")
        return OrgContext(org=org, role=role, principal=principal)

    async def _member_context(
        self, slug: str, request: Request, session: AsyncSession, settings: Settings
    ) -> OrgContext:
        secret_key = settings.effective_secret_key
        token = auth_service.token_from_cookie(secret_key, request.cookies[SESSION_COOKIE])
        found = (
            await auth_service.resolve_session_in_org(
                session, token, slug, include_deleted_org=self.include_deleted
            )
            if token
            else None
        )
        if token is None or found is None:
            raise Unauthorized("Your session has ended; please sign in again.")
        check_csrf(request, secret_key, token)
        if found.user.deleted_at is not None:
            raise Forbidden(PENDING_RESTORE)
        if found.org is None or found.role is None:
            raise NotFound(f"No org {slug!r} that you belong to.")
        if found.org.deleted_at is not None and found.role != Role.OWNER:
            # While deleted, an org exists for its owners only.
            raise NotFound(f"No org {slug!r} that you belong to.")
        return OrgContext(org=found.org, role=found.role, principal=Principal(user=found.user))


ViewerOrg = Annotated[OrgContext, Depends(RoleRequirement(Role.VIEWER))]
MemberOrg = Annotated[OrgContext, Depends(RoleRequirement(Role.MEMBER))]
AdminOrg = Annotated[OrgContext, Depends(RoleRequirement(Role.ADMIN))]
OwnerOrg = Annotated[OrgContext, Depends(RoleRequirement(Role.OWNER))]
DeletedOrgOwner = Annotated[OrgContext, Depends(RoleRequirement(Role.OWNER, include_deleted=True))]


class RateLimit:
    """Counts the request against `limit` per client address (429 beyond it). Declared
    in a route's `dependencies`, so it runs before authentication and counts failures."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit

    async def __call__(self, request: Request, client: Client) -> None:
        await hit(request.app.state.session_factory, self.limit, client.ip or "unknown")
