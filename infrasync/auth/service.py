"""Signing in and out: GitHub OAuth states, one-time links, server-side sessions."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth import repository
from infrasync.auth.context import Actor
from infrasync.auth.github_identity import GitHubIdentity
from infrasync.errors import Conflict, NotFound
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import equal, hash_token, new_token, sign
from infrasync.models import ApiKey, AuthSession, LoginLink, OAuthState, Org, Role, User

SESSION_IDLE = timedelta(days=14)
SESSION_ABSOLUTE = timedelta(days=30)
# A session's expiry moves forward at most this often, so reads do not all become writes.
SESSION_TOUCH_INTERVAL = timedelta(hours=1)
OAUTH_STATE_TTL = timedelta(minutes=10)
LOGIN_LINK_TTL = timedelta(minutes=15)
_SAFE_RETURN_PATH = re.compile(r"^/(?!/)[A-Za-z0-9/_\-.~%?=&]*$")


class SignInRefused(Exception):
    """Sign-in cannot go ahead; `code` tells the web app which sentence to show."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IssuedSession:
    # Out of the repr, so a traceback or a log line never shows a live session's secrets.
    cookie_value: str = field(repr=False)
    csrf_token: str = field(repr=False)
    row: AuthSession


def session_cookie_value(secret_key: str, token: str) -> str:
    return f"{token}.{sign(secret_key, 'session', token)}"


def csrf_token_for(secret_key: str, token: str) -> str:
    return sign(secret_key, "csrf", token)


def token_from_cookie(secret_key: str, cookie_value: str) -> str | None:
    """The session token inside a cookie, or None if the signature does not match."""
    token, _, signature = cookie_value.rpartition(".")
    if not token or not equal(signature, sign(secret_key, "session", token)):
        return None
    return token


async def start_session(
    session: AsyncSession, user: User, secret_key: str, client: ClientInfo
) -> IssuedSession:
    now = utcnow()
    token = new_token()
    row = AuthSession(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=now + SESSION_IDLE,
        absolute_expires_at=now + SESSION_ABSOLUTE,
        last_seen_at=now,
        ip=client.ip,
        user_agent=client.user_agent,
    )
    await repository.add(session, row)
    return IssuedSession(
        cookie_value=session_cookie_value(secret_key, token),
        csrf_token=csrf_token_for(secret_key, token),
        row=row,
    )


async def resolve_session(
    session: AsyncSession, token: str, *, include_deleted_user: bool = False
) -> tuple[AuthSession, User] | None:
    """The live session and its user; slides the idle expiry (never past the cap).
    `include_deleted_user` also finds the session of a deleted user who signed in again
    to restore their account (it can do nothing else; see compliance/service.py)."""
    now = utcnow()
    found = await repository.live_session(
        session, hash_token(token), now, include_deleted_user=include_deleted_user
    )
    if found is None:
        return None
    auth_session, user = found
    _slide(auth_session, now)
    return auth_session, user


@dataclass(frozen=True)
class SessionInOrg:
    """A live session, its user, and the org a request names with the user's role in
    it (None: no such org, or not a member)."""

    row: AuthSession
    user: User
    org: Org | None
    role: Role | None


async def resolve_session_in_org(
    session: AsyncSession, token: str, slug: str, *, include_deleted_org: bool = False
) -> SessionInOrg | None:
    """As `resolve_session(include_deleted_user=True)`, with the org of `slug` and the
    user's role there read in the same statement."""
    now = utcnow()
    found = await repository.live_session_in_org(
        session, hash_token(token), now, slug, include_deleted_org=include_deleted_org
    )
    if found is None:
        return None
    auth_session, user, org, role = found
    _slide(auth_session, now)
    return SessionInOrg(row=auth_session, user=user, org=org, role=role if org else None)


def _slide(auth_session: AuthSession, now: datetime) -> None:
    """Moves the idle expiry forward (never past the cap), at most once an hour."""
    if now - auth_session.last_seen_at >= SESSION_TOUCH_INTERVAL:
        auth_session.last_seen_at = now
        auth_session.expires_at = min(now + SESSION_IDLE, auth_session.absolute_expires_at)


async def end_session(
    session: AsyncSession, auth_session: AuthSession, user: User, client: ClientInfo
) -> None:
    await repository.revoke_session(session, auth_session.id, utcnow())
    await audit.record(session, "auth.sign_out", actor=Actor.of_user(user), client=client)


def safe_return_path(candidate: str | None) -> str | None:
    """Only a path on our own web app: an open redirect would hand sessions to phishers."""
    if candidate and _SAFE_RETURN_PATH.match(candidate):
        return candidate
    return None


# What an OAuth round trip is for: signing in, or connecting GitHub to read repositories.
SIGN_IN = "sign_in"
CONNECT = "connect"
CONNECT_PRIVATE = "connect_private"


@dataclass(frozen=True)
class ClaimedState:
    purpose: str
    return_to: str | None


async def create_oauth_state(
    session: AsyncSession, return_to: str | None, purpose: str = SIGN_IN
) -> str:
    state = new_token()
    await repository.add(
        session,
        OAuthState(
            state_hash=hash_token(state),
            purpose=purpose,
            return_to=safe_return_path(return_to),
            expires_at=utcnow() + OAUTH_STATE_TTL,
        ),
    )
    return state


async def consume_oauth_state(session: AsyncSession, state: str) -> ClaimedState:
    """Uses up a state; says what it was for and where to send the browser afterwards.
    Raises SignInRefused with `state_reused` or `state_expired` or `bad_state`."""
    state_hash = hash_token(state)
    row = await repository.oauth_state(session, state_hash)
    if row is None:
        raise SignInRefused("bad_state")
    claimed = ClaimedState(purpose=row.purpose, return_to=row.return_to)
    if not await repository.claim_oauth_state(session, state_hash, utcnow()):
        raise SignInRefused("state_reused" if row.used_at is not None else "state_expired")
    return claimed


def restorable_until(user: User, retention_days: int) -> datetime | None:
    """Until when a deleted account can be restored by signing in again; None if live."""
    if user.deleted_at is None:
        return None
    return user.deleted_at + timedelta(days=retention_days)


async def upsert_github_user(
    session: AsyncSession, identity: GitHubIdentity, retention_days: int
) -> User:
    """The user for a GitHub account, found by GitHub's id (logins and emails change).

    A deleted account signing in within the retention period is found, still deleted:
    its session can only say so and restore it once the person agrees (never silently).
    After the period, it is refused until the purge takes it."""
    user = await repository.user_by_github_id(session, identity.github_id)
    if user is None:
        user = User(github_id=identity.github_id, login=identity.login)
        await repository.add(session, user)
    elif user.deleted_at is not None:
        until = restorable_until(user, retention_days)
        if until is None or until <= utcnow():
            raise SignInRefused("account_deleted")
        return user
    user.login = identity.login
    user.name = identity.name
    user.avatar_url = identity.avatar_url
    if identity.email is not None:
        user.email = identity.email
    await session.flush()
    return user


async def record_sign_in(
    session: AsyncSession, user: User, method: str, client: ClientInfo
) -> None:
    await audit.record(
        session,
        "auth.sign_in",
        actor=Actor.of_user(user),
        client=client,
        details={"method": method},
    )


# One-time sign-in links -------------------------------------------------------------------


async def user_for_login_link(session: AsyncSession, email: str | None) -> User:
    """The user a link signs in: the one with `email` (created if new), or the first
    admin (created as `admin` on a fresh install)."""
    if email is not None:
        existing = await repository.active_user_by_email(session, email)
        if existing is not None:
            return existing
        user = User(login=email.split("@", 1)[0], email=email)
        await repository.add(session, user)
        return user
    admin = await repository.first_admin(session)
    if admin is not None:
        return admin
    admin = User(login="admin", is_admin=True)
    await repository.add(session, admin)
    return admin


async def create_login_link(session: AsyncSession, user: User) -> str:
    """A token for `/auth/link/{token}`: single use, expires in 15 minutes."""
    token = new_token()
    await repository.add(
        session,
        LoginLink(
            user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + LOGIN_LINK_TTL
        ),
    )
    return token


async def redeem_login_link(session: AsyncSession, token: str) -> User:
    token_hash = hash_token(token)
    user_id = await repository.claim_login_link(session, token_hash, utcnow())
    if user_id is None:
        link = await repository.login_link(session, token_hash)
        if link is None:
            raise SignInRefused("link_invalid")
        raise SignInRefused("link_used" if link.used_at is not None else "link_expired")
    user = await session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise SignInRefused("account_deleted")
    return user


async def live_api_key(session: AsyncSession, token: str) -> tuple[ApiKey, Role, Org] | None:
    """The API key `token` names, with its creator's current role in the key's org and
    the org; None when it is revoked, its org deleted, or its creator no longer in it."""
    return await repository.live_api_key(session, hash_token(token))


# A person's own sessions (the account page) ------------------------------------------


async def sessions_of(session: AsyncSession, user: User) -> list[AuthSession]:
    """The person's live sessions, the most recently used first."""
    return await repository.live_sessions_of_user(session, user.id, utcnow())


def _session_target(session_id: uuid.UUID) -> Target:
    return Target(type="session", id=str(session_id), label=f"session {str(session_id)[:8]}")


async def revoke_my_session(
    session: AsyncSession,
    user: User,
    session_id: uuid.UUID,
    current_id: uuid.UUID,
    client: ClientInfo,
) -> None:
    """Signs one of my other sessions out; it can do nothing from its very next request.
    Another person's session, or one already ended, is NotFound (nothing is revealed)."""
    if session_id == current_id:
        raise Conflict("That is the session you are using now; sign out to end it.")
    if not await repository.revoke_session_of_user(session, user.id, session_id, utcnow()):
        raise NotFound("No such session: it has ended already, or it is not yours.")
    await audit.record(
        session,
        "auth.session_revoked",
        actor=Actor.of_user(user),
        client=client,
        target=_session_target(session_id),
    )


async def revoke_my_other_sessions(
    session: AsyncSession, user: User, current_id: uuid.UUID, client: ClientInfo
) -> int:
    """Signs out every session of mine but this one; says how many ended."""
    ended = await repository.revoke_sessions_of_user_except(session, user.id, current_id, utcnow())
    await audit.record(
        session,
        "auth.sessions_revoked",
        actor=Actor.of_user(user),
        client=client,
        details={"count": ended},
    )
    return ended
