from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import ApiKey, Invite, Membership, Org, Role, User


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def org_by_slug(
    session: AsyncSession, slug: str, *, include_deleted: bool = False
) -> Org | None:
    query = select(Org).where(Org.slug == slug)
    if not include_deleted:
        query = query.where(Org.deleted_at.is_(None))
    return await session.scalar(query)


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Org.id).where(Org.slug == slug)) is not None


async def org_with_membership(
    session: AsyncSession, slug: str, user_id: uuid.UUID, *, include_deleted: bool = False
) -> tuple[Org, Membership] | None:
    query = (
        select(Org, Membership)
        .join(Membership, (Membership.org_id == Org.id) & (Membership.user_id == user_id))
        .where(Org.slug == slug)
    )
    if not include_deleted:
        query = query.where(Org.deleted_at.is_(None))
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def membership(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    )


async def lock_org(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialises changes to one org's owners: two owners demoting each other at once
    must not leave the org with none.

    A write that changes nothing, not `SELECT … FOR UPDATE`: SQLite has no row locks and
    its transactions begin at their first write (see tests/test_db_sessions.py), so the
    owner count read after a mere SELECT could miss a demotion committed just after it.
    The write takes the database's write lock there, and the org row's lock on Postgres;
    either way the count that follows sees every change committed before."""
    await session.execute(
        update(Org)
        .where(Org.id == org_id)
        .values(updated_at=Org.updated_at)
        .execution_options(synchronize_session=False)
    )


async def owner_count(session: AsyncSession, org_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.org_id == org_id,
            Membership.role == Role.OWNER,
            User.deleted_at.is_(None),
        )
    )
    return count or 0


async def orgs_of_user(
    session: AsyncSession, user_id: uuid.UUID, *, include_deleted: bool
) -> list[tuple[Org, Role]]:
    query = (
        select(Org, Membership.role)
        .join(Membership, Membership.org_id == Org.id)
        .where(Membership.user_id == user_id)
        .order_by(Org.name, Org.slug)
    )
    if include_deleted:
        # A deleted org is there for its owners only, who may restore it.
        query = query.where(Org.deleted_at.is_(None) | (Membership.role == Role.OWNER))
    else:
        query = query.where(Org.deleted_at.is_(None))
    return [(org, role) for org, role in (await session.execute(query)).all()]


async def members(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id == org_id, User.deleted_at.is_(None))
        .order_by(Membership.created_at, User.login)
    )
    return [(membership, user) for membership, user in rows.all()]


async def member(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, User] | None:
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.org_id == org_id,
                Membership.user_id == user_id,
                User.deleted_at.is_(None),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


async def delete_membership(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


# Invites ---------------------------------------------------------------------------------


async def invites(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[Invite, User | None]]:
    rows = await session.execute(
        select(Invite, User)
        .outerjoin(User, User.id == Invite.invited_by_id)
        .where(Invite.org_id == org_id)
        .order_by(Invite.created_at.desc())
    )
    return [(invite, inviter) for invite, inviter in rows.all()]


async def invite_in_org(
    session: AsyncSession, org_id: uuid.UUID, invite_id: uuid.UUID
) -> Invite | None:
    return await session.scalar(
        select(Invite).where(Invite.org_id == org_id, Invite.id == invite_id)
    )


async def invite_by_token_hash(
    session: AsyncSession, token_hash: str
) -> tuple[Invite, Org, User | None, Role | None] | None:
    """The invite, its org, its inviter, and the inviter's current role in that org (None
    when they are no longer a member, or their account is deleted)."""
    inviter_membership = (Membership.org_id == Invite.org_id) & (
        Membership.user_id == Invite.invited_by_id
    )
    row = (
        await session.execute(
            select(Invite, Org, User, Membership.role)
            .join(Org, Org.id == Invite.org_id)
            .outerjoin(User, (User.id == Invite.invited_by_id) & User.deleted_at.is_(None))
            .outerjoin(Membership, inviter_membership & (Membership.user_id == User.id))
            .where(Invite.token_hash == token_hash, Org.deleted_at.is_(None))
        )
    ).first()
    return (row[0], row[1], row[2], row[3]) if row else None


async def claim_invite(
    session: AsyncSession, invite_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """One conditional UPDATE: of two people racing to accept one invite, one wins."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(accepted_at=now, accepted_by_id=user_id)
        .returning(Invite.id)
    )
    return result.first() is not None


# API keys --------------------------------------------------------------------------------


async def api_keys(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[ApiKey, User | None]]:
    rows = await session.execute(
        select(ApiKey, User)
        .outerjoin(User, User.id == ApiKey.created_by_id)
        .where(ApiKey.org_id == org_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at.desc())
    )
    return [(key, creator) for key, creator in rows.all()]


async def live_keys_created_by(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(
            ApiKey.org_id == org_id,
            ApiKey.created_by_id == user_id,
            ApiKey.revoked_at.is_(None),
            ApiKey.deleted_at.is_(None),
        )
    )
    return list(rows)


async def pending_invites_by(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> list[Invite]:
    rows = await session.scalars(
        select(Invite).where(
            Invite.org_id == org_id,
            Invite.invited_by_id == user_id,
            Invite.accepted_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
    )
    return list(rows)


async def api_key_in_org(
    session: AsyncSession, org_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(
            ApiKey.org_id == org_id, ApiKey.id == key_id, ApiKey.revoked_at.is_(None)
        )
    )
