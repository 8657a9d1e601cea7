"""A person's export (GET /api/me/export): see schemas.UserExport."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.compliance import repository
from infrasync.compliance.schemas import (
    AddressStatus,
    ExportAuditEntry,
    ExportDigest,
    ExportEmailChannel,
    ExportGitHubConnection,
    ExportMembership,
    ExportProfile,
    UserExport,
)
from infrasync.github.credentials import github_credential_of
from infrasync.models import AuditEvent, User


def _profile(user: User) -> ExportProfile:
    return ExportProfile(
        id=user.id,
        login=user.login,
        name=user.name,
        email=user.email,
        avatar_url=user.avatar_url,
        github_id=user.github_id,
        is_admin=user.is_admin,
        created_at=user.created_at,
    )


def _audit_entry(event: AuditEvent, org_slug: str | None, user: User) -> ExportAuditEntry:
    return ExportAuditEntry(
        id=event.id,
        created_at=event.created_at,
        org_slug=org_slug,
        action=event.action,
        by_you=event.actor_user_id == user.id,
        actor_type=event.actor_type,
        actor_label=event.actor_label,
        target_type=event.target_type,
        target_id=event.target_id,
        target_label=event.target_label,
        # The same details the audit log shows members: written without secrets.
        details=event.details,
        ip=event.ip,
        user_agent=event.user_agent,
    )


async def _github(session: AsyncSession, user: User) -> ExportGitHubConnection | None:
    credential = await github_credential_of(session, user_id=user.id)
    if credential is None:
        return None
    return ExportGitHubConnection(
        github_login=credential.github_login,
        scopes=list(credential.scopes),
        token_hint=credential.token_hint,
        private_access=credential.private_access,
        connected_at=credential.created_at,
    )


def _status(suppression: str | None) -> AddressStatus:
    if suppression is None:
        return "receiving"
    return "refused" if suppression == "refused" else "unsubscribed"


async def _email_channels(
    session: AsyncSession, user: User, org_ids: list[uuid.UUID]
) -> list[ExportEmailChannel]:
    """The email channels of the person's orgs that send to their address, and whether
    that address still receives (it may have unsubscribed, or its server refused it)."""
    if not user.email or not org_ids:
        return []
    address = user.email.lower()
    channels = await repository.email_channels_of_orgs(session, org_ids)
    suppressed = await repository.suppressions_of(session, [c.id for c, _ in channels])
    found = []
    for channel, slug in channels:
        for recipient in channel.addresses:
            if recipient.lower() == address:
                found.append(
                    ExportEmailChannel(
                        org_slug=slug,
                        channel_name=channel.name,
                        address=recipient,
                        status=_status(suppressed.get((channel.id, address))),
                    )
                )
    return found


async def export_user(session: AsyncSession, user: User, now: datetime) -> UserExport:
    memberships = await repository.memberships_of(session, user.id)
    audit_rows = await repository.audit_by_or_about(session, user.id)
    digests = await repository.digests_triggered_by(session, user.id)
    live_org_ids = [org.id for _, org in memberships if org.deleted_at is None]
    return UserExport(
        exported_at=now,
        profile=_profile(user),
        memberships=[
            ExportMembership(
                org_id=org.id,
                org_slug=org.slug,
                org_name=org.name,
                role=membership.role.value,
                joined_at=membership.created_at,
                org_deleted_at=org.deleted_at,
            )
            for membership, org in memberships
        ],
        audit_entries=[_audit_entry(event, slug, user) for event, slug in audit_rows],
        digests_triggered=[
            ExportDigest(
                id=digest.id,
                org_slug=slug,
                monitor_name=name,
                repository=_repository_name(digest.repository),
                period_since=digest.period_since,
                period_until=digest.period_until,
                trigger=digest.trigger,
                writer=digest.writer,
                created_at=digest.created_at,
            )
            for digest, slug, name in digests
        ],
        github_connection=await _github(session, user),
        email_channels=await _email_channels(session, user, live_org_ids),
    )


def _repository_name(repository_document: object) -> str | None:
    if isinstance(repository_document, dict):
        name = repository_document.get("name")
        return str(name) if name is not None else None
    return None
