"""Disconnecting GitHub: a user's token forgotten for good, and first taken out of every
org it served (SPEC §5), each step audited where its org's people will look.

Its own module because it stands on the orgs and monitors services, and those stand on
`credentials`: living there, it would close an import cycle.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import Actor, OrgContext
from infrasync.github import credentials
from infrasync.kit.client_info import ClientInfo
from infrasync.models import User
from infrasync.monitors import service as monitor_service
from infrasync.orgs import service as org_service

REASON = "disconnected"


async def disconnect_github(session: AsyncSession, user: User, client: ClientInfo) -> bool:
    """Withdraws the user's token from every org and every monitor, then deletes it.

    True if there was a token to forget; disconnecting twice is not an error. Never
    commits (the request's unit of work does). GitHub itself is not asked to revoke the
    grant: that is the user's, in their GitHub settings, and no network call belongs in
    this transaction.
    """
    credential = await credentials.github_credential_of(session, user_id=user.id)
    # Deleted orgs too, so that restoring one brings back no monitor reading with a
    # token its owner took away (owners only: nobody else may see a deleted org).
    for org, role in await org_service.orgs_of_user(session, user, include_deleted=True):
        context = OrgContext.of_member(org, user, role)
        await monitor_service.release_member_token(session, context, user, client, reason=REASON)
    # Offers left in deleted orgs the user does not own: gone too, so that connecting
    # again later does not quietly offer the new token there. (Those orgs' monitors let
    # go of the token when it is deleted, by the foreign key's `SET NULL`.)
    actor = Actor.of_user(user)
    target = Target(type="user", id=str(user.id), label=user.login)
    for org_id in await credentials.withdraw_everywhere(session, user.id):
        await audit.record(
            session,
            "github_token.withdraw",
            actor=actor,
            client=client,
            org_id=org_id,
            target=target,
            details={"reason": REASON},
        )
    if credential is None:
        return False
    details = {"github_login": credential.github_login}
    await credentials.remove_github_token(session, user_id=user.id)
    await audit.record(session, "github.disconnect", actor=actor, client=client, details=details)
    return True
