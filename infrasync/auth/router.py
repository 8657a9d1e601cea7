"""Sign-in and sign-out (SPEC §4): GitHub OAuth, one-time links, `/auth/logout`, `/api/me`.

A sign-in that cannot go ahead sends the browser back to the web app's `/signin` page
with `?error=<code>`, which says what happened — never a 500 or a bare error page.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth import service
from infrasync.auth.cookies import OAUTH_STATE_COOKIE, CookiePolicy
from infrasync.auth.devices import describe_device
from infrasync.auth.github_identity import (
    SIGN_IN_SCOPES,
    CodeRejected,
    GitHubIdentity,
    GitHubUnavailable,
    GrantedToken,
    authorize_url,
    identify_and_keep_token,
)
from infrasync.auth.rate_limit import Limit
from infrasync.auth.schemas import ConnectGitHub, ConnectStarted, Me, SessionOut, SessionsRevoked
from infrasync.auth.service import SignInRefused
from infrasync.config import Settings
from infrasync.deps import (
    AppSettings,
    Client,
    CookieSession,
    CurrentUser,
    DbSession,
    RateLimit,
    RestoringUser,
    cookie_session,
)
from infrasync.errors import BadRequest, OpenApiResponses, Unauthorized, documented
from infrasync.github.credentials import (
    connect_github_token,
    github_credential_of,
    private_access_scopes,
)
from infrasync.github.disconnect import disconnect_github
from infrasync.github.schemas import credential_out
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.crypto import SecretBox
from infrasync.kit.tokens import equal
from infrasync.models import AuthSession, User

log = structlog.get_logger(__name__)
router = APIRouter(tags=["auth"])

SIGN_IN_LIMIT = Limit("sign-in", requests=20, per_seconds=60)
SignInRateLimit = [Depends(RateLimit(SIGN_IN_LIMIT))]
# The web app's page that asks a deleted user, signed in again, whether to restore.
RESTORE_PAGE = "/account/restore"
REDIRECT: OpenApiResponses = {
    302: {"description": "To GitHub, or back to the web app"},
    **documented(429),
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


def _refused(settings: Settings, code: str) -> RedirectResponse:
    query = urlencode({"error": code})
    response = _redirect(f"{settings.effective_frontend_url}/signin?{query}")
    CookiePolicy.from_settings(settings).clear_oauth_state(response)
    return response


def _callback_url(settings: Settings) -> str:
    return f"{settings.public_url}/auth/github/callback"


@router.get(
    "/auth/github/login",
    status_code=302,
    response_class=RedirectResponse,
    responses=REDIRECT,
    dependencies=SignInRateLimit,
)
async def github_login(
    session: DbSession, settings: AppSettings, return_to: str | None = None
) -> RedirectResponse:
    """Start signing in with GitHub (asks only for `read:user user:email`)."""
    if not settings.github_sign_in_enabled:
        return _refused(settings, "github_not_configured")
    state = await service.create_oauth_state(session, return_to)
    response = _redirect(authorize_url(settings, state, _callback_url(settings)))
    ttl = int(service.OAUTH_STATE_TTL.total_seconds())
    CookiePolicy.from_settings(settings).set_oauth_state(response, state, ttl)
    return response


async def _finish_sign_in(
    session: AsyncSession,
    settings: Settings,
    client: ClientInfo,
    user: User,
    method: str,
    return_to: str | None,
) -> RedirectResponse:
    issued = await service.start_session(session, user, settings.effective_secret_key, client)
    await service.record_sign_in(session, user, method, client)
    if user.deleted_at is not None:
        # A deleted account back within the retention period: the web app says when it
        # was deleted and until when it can be restored, and asks (POST /api/me/restore).
        return_to = RESTORE_PAGE
    response = _redirect(settings.effective_frontend_url + (return_to or "/"))
    policy = CookiePolicy.from_settings(settings)
    policy.set_session(
        response, issued.cookie_value, issued.csrf_token, issued.row.absolute_expires_at
    )
    policy.clear_oauth_state(response)
    return response


@router.get(
    "/auth/github/callback",
    status_code=302,
    response_class=RedirectResponse,
    responses=REDIRECT,
    dependencies=SignInRateLimit,
)
async def github_callback(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    client: Client,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """Where GitHub sends the browser back: checks `state`, signs the user in."""
    if not state or not equal(state, request.cookies.get(OAUTH_STATE_COOKIE) or ""):
        # No cookie, or another browser's state: this browser did not start this sign-in.
        return _refused(settings, "bad_state")
    try:
        claimed = await service.consume_oauth_state(session, state)
    except SignInRefused as refused:
        return _refused(settings, refused.code)
    if error is not None:
        return _refused(settings, "access_denied" if error == "access_denied" else "github_error")
    if not code:
        return _refused(settings, "github_error")
    try:
        identity, granted = await identify_and_keep_token(settings, code, _callback_url(settings))
        if claimed.purpose in (service.CONNECT, service.CONNECT_PRIVATE):
            return await _finish_connect(
                request, session, settings, client, identity, granted, claimed.return_to
            )
        user = await service.upsert_github_user(session, identity, settings.retention_days)
    except CodeRejected:
        return _refused(settings, "code_rejected")
    except GitHubUnavailable as failure:
        log.warning("sign-in: GitHub unavailable", reason=str(failure))
        return _refused(settings, "github_unavailable")
    except SignInRefused as refused:
        return _refused(settings, refused.code)
    return await _finish_sign_in(session, settings, client, user, "github", claimed.return_to)


async def _signed_in_user(request: Request, session: AsyncSession, settings: Settings) -> User:
    found = await cookie_session(request, session, settings)
    if found is None:
        raise SignInRefused("connect_needs_sign_in")
    return found.user


async def _finish_connect(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    client: ClientInfo,
    identity: GitHubIdentity,
    granted: GrantedToken,
    return_to: str | None,
) -> RedirectResponse:
    """Keeps the granted token (encrypted) as the signed-in user's GitHub credential."""
    user = await _signed_in_user(request, session, settings)
    await connect_github_token(
        session,
        SecretBox.from_keys(settings.fernet_keys),
        user,
        token=granted.token,
        scopes=granted.scopes,
        github_login=identity.login,
        github_user_id=identity.github_id,
        client=client,
    )
    response = _redirect(settings.effective_frontend_url + (return_to or "/"))
    CookiePolicy.from_settings(settings).clear_oauth_state(response)
    return response


@router.get(
    "/auth/github/connect",
    status_code=302,
    response_class=RedirectResponse,
    responses=REDIRECT,
)
async def github_connect_page(
    settings: AppSettings, private: bool = False, return_to: str | None = None
) -> RedirectResponse:
    """The consent page: the web app's, which asks before anything starts. Connecting is
    a POST, so that no other site can start it (a GET could be a cross-site link)."""
    query = {"private": "true"} if private else {}
    destination = service.safe_return_path(return_to)
    if destination:
        query["return_to"] = destination
    suffix = f"?{urlencode(query)}" if query else ""
    return _redirect(f"{settings.effective_frontend_url}/connect/github{suffix}")


@router.post(
    "/auth/github/connect",
    response_model=ConnectStarted,
    responses=documented(400, 401, 403, 422, 429),
    dependencies=SignInRateLimit,
)
async def github_connect(
    body: ConnectGitHub, user: CurrentUser, session: DbSession, settings: AppSettings
) -> JSONResponse:
    """Connect your GitHub account so monitors can read repositories with your token.
    `private: true` also asks for the `repo` scope (private repositories), an explicit
    consent recorded in the audit log. Needs the X-CSRF-Token header, like every write
    from a browser; answers with GitHub's consent page for the browser to go to."""
    del user  # the callback checks the same browser's session again
    if not settings.github_sign_in_enabled:
        raise BadRequest(
            "GitHub is not configured on this server: the operator sets "
            "INFRASYNC_GITHUB_CLIENT_ID and INFRASYNC_GITHUB_CLIENT_SECRET."
        )
    purpose = service.CONNECT_PRIVATE if body.private else service.CONNECT
    scopes = private_access_scopes(SIGN_IN_SCOPES) if body.private else SIGN_IN_SCOPES
    state = await service.create_oauth_state(session, body.return_to, purpose)
    started = ConnectStarted(
        authorize_url=authorize_url(settings, state, _callback_url(settings), scopes)
    )
    response = JSONResponse(started.model_dump())
    ttl = int(service.OAUTH_STATE_TTL.total_seconds())
    CookiePolicy.from_settings(settings).set_oauth_state(response, state, ttl)
    return response


@router.get(
    "/auth/link/{token}",
    status_code=302,
    response_class=RedirectResponse,
    responses=REDIRECT,
    dependencies=SignInRateLimit,
)
async def redeem_login_link(
    token: str,
    session: DbSession,
    settings: AppSettings,
    client: Client,
    return_to: str | None = None,
) -> RedirectResponse:
    """Sign in with a one-time link from `infrasync admin login-link`; `return_to` (a
    path of the web app, nothing else) is where the browser lands afterwards."""
    try:
        user = await service.redeem_login_link(session, token)
    except SignInRefused as refused:
        return _refused(settings, refused.code)
    destination = service.safe_return_path(return_to)
    return await _finish_sign_in(session, settings, client, user, "link", destination)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(403),
)
async def logout(
    request: Request, session: DbSession, settings: AppSettings, client: Client
) -> Response:
    """Sign out: the session ends on the server and both cookies are cleared."""
    # A forged cross-site POST must not be able to sign people out either: with a live
    # session, the CSRF header is checked (Forbidden without it).
    found = await cookie_session(request, session, settings, include_deleted_user=True)
    if found is not None:
        await service.end_session(session, found.row, found.user, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    CookiePolicy.from_settings(settings).clear_session(response)
    return response


@router.get("/api/me", response_model=Me, responses=documented(401))
async def me(user: RestoringUser, session: DbSession, settings: AppSettings) -> Me:
    """Who is signed in, and whether they have connected GitHub for monitors.

    `deleted_at` is set when this person deleted their account and signed in again within
    the retention period: until `restorable_until` they may restore it (POST
    /api/me/restore); meanwhile every other route answers 403."""
    return await me_of(session, settings, user)


async def me_of(session: AsyncSession, settings: Settings, user: User) -> Me:
    credential = await github_credential_of(session, user_id=user.id)
    return Me(
        deleted_at=user.deleted_at,
        restorable_until=service.restorable_until(user, settings.retention_days),
        github=credential_out(credential, user) if credential else None,
        id=user.id,
        login=user.login,
        name=user.name,
        email=user.email,
        avatar_url=user.avatar_url,
        is_admin=user.is_admin,
        created_at=user.created_at,
    )


@router.delete(
    "/api/me/github",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 403),
)
async def disconnect_github_account(
    user: CurrentUser, session: DbSession, client: Client
) -> Response:
    """Disconnect GitHub: your token is withdrawn from every org, every monitor reading
    with it stops until another token is chosen, and Infrasync forgets it for good (revoke
    the grant on GitHub too, in your GitHub settings). 204 also when nothing was
    connected. Needs the X-CSRF-Token header, like every write from a browser."""
    await disconnect_github(session, user, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Your sessions (the account page) -----------------------------------------------------


async def _my_session(request: Request, session: DbSession, settings: AppSettings) -> CookieSession:
    """The browser session this request came with: only a signed-in browser manages its
    sessions (an API key belongs to an org, not a person's sign-ins)."""
    if request.headers.get("authorization") is not None:
        raise Unauthorized("API keys work on /api/orgs/{org}/… routes only; sign in for this one.")
    found = await cookie_session(request, session, settings)
    if found is None:
        raise Unauthorized("Sign in first.")
    return found


MySession = Annotated[CookieSession, Depends(_my_session)]


def _session_out(row: AuthSession, current_id: uuid.UUID) -> SessionOut:
    return SessionOut(
        id=row.id,
        current=row.id == current_id,
        device=describe_device(row.user_agent),
        user_agent=row.user_agent,
        ip=row.ip,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
    )


@router.get("/api/me/sessions", response_model=list[SessionOut], responses=documented(401))
async def my_sessions(me: MySession, session: DbSession) -> list[SessionOut]:
    """Where you are signed in: each live session (never its token), the one you are
    using marked `current`, the most recently used first."""
    rows = await service.sessions_of(session, me.user)
    return [_session_out(row, me.row.id) for row in rows]


@router.delete(
    "/api/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(401, 403, 404, 409, 422),
)
async def revoke_my_session(
    session_id: uuid.UUID, me: MySession, session: DbSession, client: Client
) -> Response:
    """Sign one of your other sessions out: it can do nothing from its very next request.
    Audited. The session you are using is a 409 (sign out instead); another person's, or
    one that has ended, is a 404. Needs the X-CSRF-Token header."""
    await service.revoke_my_session(session, me.user, session_id, me.row.id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/api/me/sessions/sign-out-others",
    response_model=SessionsRevoked,
    responses=documented(401, 403),
)
async def revoke_my_other_sessions(
    me: MySession, session: DbSession, client: Client
) -> SessionsRevoked:
    """Sign out everywhere but here: every other session of yours ends at once. Audited.
    Needs the X-CSRF-Token header."""
    revoked = await service.revoke_my_other_sessions(session, me.user, me.row.id, client)
    return SessionsRevoked(revoked=revoked)
