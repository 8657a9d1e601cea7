"""Every SQL statement of the GitHub package: stored tokens and their offers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import GitHubCredential, GitHubTokenOffer, Membership, User


async def credential_of(
    session: AsyncSession, *, user_id: uuid.UUID | None, org_id: uuid.UUID | None
) -> GitHubCredential | None:
    query = select(GitHubCredential)
    if user_id is not None:
        query = query.where(GitHubCredential.user_id == user_id)
    else:
        query = query.where(GitHubCredential.org_id == org_id)
    return await session.scalar(query)


async def credentials_after(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> Sequence[GitHubCredential]:
    """A page of every credential in id order (key rotation walks them all)."""
    query = select(GitHubCredential).order_by(GitHubCredential.id).limit(limit)
    if after is not None:
        query = query.where(GitHubCredential.id > after)
    return (await session.scalars(query)).all()


async def delete_credential(session: AsyncSession, credential: GitHubCredential) -> None:
    await session.delete(credential)
    await session.flush()


# Offers: a member's token serves an org only while offered to it -----------------------


async def offer_of(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> GitHubTokenOffer | None:
    return await session.scalar(
        select(GitHubTokenOffer).where(
            GitHubTokenOffer.org_id == org_id, GitHubTokenOffer.user_id == user_id
        )
    )


async def add_offer(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.add(GitHubTokenOffer(org_id=org_id, user_id=user_id))
    await session.flush()


async def delete_offer(session: AsyncSession, offer: GitHubTokenOffer) -> None:
    await session.delete(offer)
    await session.flush()


async def offers_of_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[GitHubTokenOffer]:
    return (
        await session.scalars(
            select(GitHubTokenOffer)
            .where(GitHubTokenOffer.user_id == user_id)
            .order_by(GitHubTokenOffer.org_id)
        )
    ).all()


async def offered_credential(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> GitHubCredential | None:
    """The user's credential, if they are a member of the org (not deleted) and have
    offered it to the org; else None. One query, so it is true at the moment asked."""
    return await session.scalar(
        select(GitHubCredential)
        .join(User, User.id == GitHubCredential.user_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.org_id == org_id))
        .join(
            GitHubTokenOffer,
            (GitHubTokenOffer.user_id == User.id) & (GitHubTokenOffer.org_id == org_id),
        )
        .where(GitHubCredential.user_id == user_id, User.deleted_at.is_(None))
    )


async def org_token_rows(
    session: AsyncSession, org_id: uuid.UUID, caller_id: uuid.UUID | None
) -> Sequence[tuple[GitHubCredential, User, bool]]:
    """The tokens an org's monitors may use (offered by current members), plus the
    caller's own whether offered or not; each with whether it is offered."""
    offered = GitHubTokenOffer.id.is_not(None)
    rows = await session.execute(
        select(GitHubCredential, User, offered)
        .join(User, User.id == GitHubCredential.user_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.org_id == org_id))
        .outerjoin(
            GitHubTokenOffer,
            (GitHubTokenOffer.user_id == User.id) & (GitHubTokenOffer.org_id == org_id),
        )
        .where(User.deleted_at.is_(None), offered | (User.id == caller_id))
        .order_by(User.login)
    )
    return [(credential, user, bool(is_offered)) for credential, user, is_offered in rows.all()]
