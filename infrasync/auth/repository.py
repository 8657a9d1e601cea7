from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import (
    ApiKey,
    AuthSession,
    LoginLink,
    Membership,
    OAuthState,
    Org,
    RateLimitWindow,
    Role,
    User,
)


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def user_by_github_id(session: AsyncSession, github_id: int) -> User | None:
    return await session.scalar(select(User).where(User.github_id == github_id))


async def active_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(
        select(User)
        .where(func.lower(User.email) == email.lower(), User.deleted_at.is_(None))
        .order_by(User.created_at)
        .limit(1)
    )


async def first_admin(session: AsyncSession) -> User | None:
    return await session.scalar(
        select(User)
        .where(User.is_admin.is_(True), User.deleted_at.is_(None))
        .order_by(User.created_at)
        .limit(1)
    )


def _live_session_query(
    token_hash: str, now: datetime, *, include_deleted_user: bool
) -> Select[AuthSession, User]:
    query = (
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.absolute_expires_at > now,
        )
    )
    if include_deleted_user:
        # A deleted user's session is one they opened by signing in again after the
        # deletion (to restore), never one from before it, whatever else ended it.
        return query.where(User.deleted_at.is_(None) | (AuthSession.created_at >= User.deleted_at))
    return query.where(User.deleted_at.is_(None))


async def live_session(
    session: AsyncSession, token_hash: str, now: datetime, *, include_deleted_user: bool = False
) -> tuple[AuthSession, User] | None:
    query = _live_session_query(token_hash, now, include_deleted_user=include_deleted_user)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def live_session_in_org(
    session: AsyncSession, token_hash: str, now: datetime, slug: str, *, include_deleted_org: bool
) -> tuple[AuthSession, User, Org | None, Role | None] | None:
    """The live session with this hash and its user (a deleted user's pending-restore
    session too, as `live_session(include_deleted_user=True)`), with the org of this slug
    and the user's role in it, in one statement: an `/api/orgs/{org}` request is
    authenticated and its org resolved at once. The org and role are None when there is
    no such org (or it is deleted, unless `include_deleted_org`); the role alone is None
    when the user is not a member. Membership is read here on every request, so access
    ends with it."""
    org_matches = Org.slug == slug
    if not include_deleted_org:
        org_matches = org_matches & Org.deleted_at.is_(None)
    query = (
        _live_session_query(token_hash, now, include_deleted_user=True)
        .outerjoin(Org, org_matches)
        .outerjoin(Membership, (Membership.org_id == Org.id) & (Membership.user_id == User.id))
        .add_columns(Org, Membership.role)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1], row[2], row[3]) if row else None


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def claim_oauth_state(session: AsyncSession, state_hash: str, now: datetime) -> bool:
    """Marks the state used; False when it is unknown, used or expired. One conditional
    UPDATE, so two callbacks racing with the same state cannot both win."""
    result = await session.execute(
        update(OAuthState)
        .where(
            OAuthState.state_hash == state_hash,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(used_at=now)
        .returning(OAuthState.return_to)
    )
    return result.first() is not None


async def oauth_state(session: AsyncSession, state_hash: str) -> OAuthState | None:
    return await session.scalar(select(OAuthState).where(OAuthState.state_hash == state_hash))


async def claim_login_link(
    session: AsyncSession, token_hash: str, now: datetime
) -> uuid.UUID | None:
    result = await session.execute(
        update(LoginLink)
        .where(
            LoginLink.token_hash == token_hash,
            LoginLink.used_at.is_(None),
            LoginLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(LoginLink.user_id)
    )
    row = result.first()
    return row[0] if row else None


async def login_link(session: AsyncSession, token_hash: str) -> LoginLink | None:
    return await session.scalar(select(LoginLink).where(LoginLink.token_hash == token_hash))


async def live_api_key(session: AsyncSession, token_hash: str) -> tuple[ApiKey, Role, Org] | None:
    """The key with this hash, its creator's current role in the key's org, and the org
    (so a request resolves its org without another statement); or None.

    A key lives only while it is not revoked, its org is not deleted, and its creator is
    still a member of that org (SPEC §5): checked here, on every request, so a removal
    that races with a request cannot leave a key working.
    """
    row = (
        await session.execute(
            select(ApiKey, Membership.role, Org)
            .join(Org, Org.id == ApiKey.org_id)
            .join(
                Membership,
                (Membership.org_id == ApiKey.org_id) & (Membership.user_id == ApiKey.created_by_id),
            )
            .join(User, User.id == Membership.user_id)
            .where(
                ApiKey.token_hash == token_hash,
                ApiKey.revoked_at.is_(None),
                ApiKey.deleted_at.is_(None),
                Org.deleted_at.is_(None),
                User.deleted_at.is_(None),
            )
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


# Rate limits: one counter per key and fixed window ------------------------------------


async def count_request(session: AsyncSession, key: str, window_start: datetime) -> int:
    """Adds one to the key's count in the window (one upsert, safe between processes);
    returns the new count."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    upsert = (
        insert(RateLimitWindow)
        .values(key=key, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": RateLimitWindow.count + 1},
        )
        .returning(RateLimitWindow.count)
    )
    count: int = (await session.execute(upsert)).scalar_one()
    return count


async def requests_in_window(session: AsyncSession, key: str, window_start: datetime) -> int:
    count = await session.scalar(
        select(RateLimitWindow.count).where(
            RateLimitWindow.key == key, RateLimitWindow.window_start == window_start
        )
    )
    return count or 0


async def forget_request_windows(session: AsyncSession, *, before: datetime) -> None:
    await session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < before))


# A person's own sessions (the account page) ------------------------------------------


async def live_sessions_of_user(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[AuthSession]:
    rows = await session.scalars(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.absolute_expires_at > now,
        )
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id)
    )
    return list(rows)


async def revoke_session_of_user(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> bool:
    """Ends one live session of this user; False when there is none with this id (ended,
    or another person's: the caller answers 404 either way)."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.absolute_expires_at > now,
        )
        .values(revoked_at=now)
        .returning(AuthSession.id)
    )
    return result.first() is not None


async def revoke_sessions_of_user_except(
    session: AsyncSession, user_id: uuid.UUID, keep_id: uuid.UUID, now: datetime
) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id != keep_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.absolute_expires_at > now,
        )
        .values(revoked_at=now)
        .returning(AuthSession.id)
    )
    return len(result.all())
