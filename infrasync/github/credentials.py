"""GitHub tokens that Infrasync reads repositories with: stored encrypted, one per user or
per org, with the scopes GitHub granted.

Private repositories need GitHub's `repo` scope, which sign-in never asks for: a user
grants it in a separate, explicit step (the sign-in flow asks GitHub for
`private_access_scopes(...)` and then calls `store_github_token`). Nothing here returns
a token except `reveal_token`, for the client that sends it to GitHub.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.auth.context import Actor
from infrasync.github import repository
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.crypto import SecretBox
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import GitHubCredential, User

# The one OAuth scope that reaches private repositories (GitHub offers no read-only one).
PRIVATE_ACCESS_SCOPE = "repo"
HINT_LENGTH = 4
ROTATION_BATCH = 200


def parse_scopes(granted: str | Iterable[str]) -> list[str]:
    """GitHub's scope lists as they come: `repo,read:user` from the token exchange,
    `repo, read:user` in `X-OAuth-Scopes`, or a list."""
    items = re.split(r"[\s,]+", granted) if isinstance(granted, str) else list(granted)
    return sorted({item.strip() for item in items if item.strip()})


def grants_private_access(scopes: Iterable[str]) -> bool:
    return PRIVATE_ACCESS_SCOPE in set(scopes)


def private_access_scopes(current: str | Iterable[str]) -> str:
    """The `scope` parameter for the "grant private access" authorization: what the user
    already granted, plus `repo`."""
    return " ".join(parse_scopes([*parse_scopes(current), PRIVATE_ACCESS_SCOPE]))


def token_hint(token: str) -> str:
    return "…" + token[-HINT_LENGTH:]


@dataclass(frozen=True)
class StoredToken:
    credential: GitHubCredential
    # True when this call turned private access on (the caller records it in the audit
    # log); False when it was already on, or is still off.
    private_access_granted: bool
    replaced: bool


async def store_github_token(
    session: AsyncSession,
    box: SecretBox,
    *,
    token: str | SecretStr,
    scopes: str | Iterable[str],
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    github_login: str | None = None,
    github_user_id: int | None = None,
) -> StoredToken:
    """Stores (or replaces) the GitHub token of one user or one org, encrypted.

    Call it after GitHub's token exchange, with the `scope` GitHub returned. Never
    commits (the caller's unit of work does).
    """
    if (user_id is None) == (org_id is None):
        raise ValueError("a GitHub token belongs to exactly one user or one org")
    plain = token.get_secret_value() if isinstance(token, SecretStr) else token
    if not plain.strip():
        raise ValueError("an empty GitHub token cannot be stored")
    granted = parse_scopes(scopes)
    credential = await repository.credential_of(session, user_id=user_id, org_id=org_id)
    replaced = credential is not None
    had_private_access = credential is not None and credential.private_access
    if credential is None:
        credential = GitHubCredential(user_id=user_id, org_id=org_id)
        session.add(credential)
    credential.encrypted_token = box.seal(plain)
    credential.token_hash = hash_token(plain)
    credential.token_hint = token_hint(plain)
    credential.scopes = granted
    credential.private_access = grants_private_access(granted)
    credential.github_login = github_login
    credential.github_user_id = github_user_id
    credential.rejected_at = None
    await session.flush()
    return StoredToken(
        credential=credential,
        private_access_granted=credential.private_access and not had_private_access,
        replaced=replaced,
    )


async def connect_github_token(
    session: AsyncSession,
    box: SecretBox,
    user: User,
    *,
    token: str | SecretStr,
    scopes: str | Iterable[str],
    github_login: str,
    github_user_id: int,
    client: ClientInfo,
) -> StoredToken:
    """A user connected GitHub: keeps the token as theirs, audited (and, when this call
    turned private access on, that consent is audited on its own)."""
    stored = await store_github_token(
        session,
        box,
        token=token,
        scopes=scopes,
        user_id=user.id,
        github_login=github_login,
        github_user_id=github_user_id,
    )
    actor = Actor.of_user(user)
    details = {"github_login": github_login, "scopes": stored.credential.scopes}
    await audit.record(session, "github.connect", actor=actor, client=client, details=details)
    if stored.private_access_granted:
        await audit.record(
            session, "github.private_access_grant", actor=actor, client=client, details=details
        )
    return stored


async def github_credential_for(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, org_id: uuid.UUID | None = None
) -> GitHubCredential | None:
    """The usable credential of a user or an org: None when there is none, or when GitHub
    rejected it (it must be replaced)."""
    credential = await repository.credential_of(session, user_id=user_id, org_id=org_id)
    if credential is None or credential.rejected_at is not None:
        return None
    return credential


# Offers (SPEC §5: a member's token serves an org only while offered and a member) ------


async def offer_to_org(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Offers the user's token to the org; True if it was not offered before."""
    if await repository.offer_of(session, org_id, user_id) is not None:
        return False
    await repository.add_offer(session, org_id, user_id)
    return True


async def withdraw_from_org(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Withdraws the user's offer to the org; True if there was one."""
    offer = await repository.offer_of(session, org_id, user_id)
    if offer is None:
        return False
    await repository.delete_offer(session, offer)
    return True


async def withdraw_everywhere(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Withdraws every offer the user still has; returns the orgs they were made to."""
    withdrawn = []
    for offer in await repository.offers_of_user(session, user_id):
        withdrawn.append(offer.org_id)
        await repository.delete_offer(session, offer)
    return withdrawn


async def offered_credential(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> GitHubCredential | None:
    """The user's credential if it may serve the org now: offered, and its owner still a
    member. Rejected credentials are returned too (the caller says they need replacing)."""
    return await repository.offered_credential(session, org_id, user_id)


async def org_tokens(
    session: AsyncSession, org_id: uuid.UUID, caller_id: uuid.UUID | None
) -> Sequence[tuple[GitHubCredential, User, bool]]:
    return await repository.org_token_rows(session, org_id, caller_id)


async def github_credential_of(
    session: AsyncSession, *, user_id: uuid.UUID
) -> GitHubCredential | None:
    """The user's credential, usable or not."""
    return await repository.credential_of(session, user_id=user_id, org_id=None)


def reveal_token(credential: GitHubCredential, box: SecretBox) -> SecretStr:
    """The token, for the GitHub client only."""
    return SecretStr(box.open(credential.encrypted_token))


async def mark_token_rejected(session: AsyncSession, credential: GitHubCredential) -> None:
    """GitHub answered 401: stop using the token until the user reconnects."""
    credential.rejected_at = utcnow()
    await session.flush()


async def remove_github_token(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, org_id: uuid.UUID | None = None
) -> bool:
    """Forgets a token for good; True if there was one. Monitors still reading with it
    let go of it (the foreign key's `SET NULL`): `disconnect.disconnect_github` detaches
    them first, audited, and is what a user's "Disconnect GitHub" calls."""
    credential = await repository.credential_of(session, user_id=user_id, org_id=org_id)
    if credential is None:
        return False
    await repository.delete_credential(session, credential)
    return True


async def rotate_encryption(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypts every stored GitHub token under the first key of `box`; returns how
    many. Walks the table in batches so memory stays flat however many there are."""
    rotated = 0
    after: uuid.UUID | None = None
    while True:
        batch = await repository.credentials_after(session, after, ROTATION_BATCH)
        if not batch:
            return rotated
        for credential in batch:
            credential.encrypted_token = box.reseal(credential.encrypted_token)
            rotated += 1
        await session.flush()
        after = batch[-1].id
