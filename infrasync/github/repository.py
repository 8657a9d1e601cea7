"""Every SQL statement of the GitHub package (credentials; the REST cache has its own
short transactions in `etags.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.models import GitHubCredential, Membership, User


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


async def member_credentials(
    session: AsyncSession, org_id: uuid.UUID
) -> Sequence[tuple[GitHubCredential, User]]:
    """The GitHub connections of an org's members, by login."""
    rows = await session.execute(
        select(GitHubCredential, User)
        .join(User, User.id == GitHubCredential.user_id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(User.login)
    )
    return [(credential, user) for credential, user in rows.all()]
