"""Orgs, members, invites and API keys, with the rules of SPEC §5: an org always keeps an
owner, nobody grants a role above their own, and only owners touch owners."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from slugify import slugify as transliterated_slug
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.audit import service as audit
from infrasync.audit.service import Target
from infrasync.auth.context import Actor, OrgContext, weaker
from infrasync.billing import limits as plan_limits
from infrasync.config import Settings
from infrasync.errors import BadRequest, Conflict, Forbidden, NotFound
from infrasync.kit.client_info import ClientInfo
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import ApiKey, Invite, Membership, Org, Role, User
from infrasync.monitors import service as monitor_service
from infrasync.orgs import repository
from infrasync.orgs.schemas import InviteStatus

API_KEY_PREFIX = "isk_"
# Paths of the web app that an org slug would shadow.
RESERVED_SLUGS = frozenset({"new", "api", "admin", "settings", "me", "auth", "invites"})
_MAX_SLUG_TRIES = 50


def slugify(name: str) -> str:
    """A slug from a name in any script: transliterated ('Ünïcødé Crew' → unicode-crew,
    '東京チーム' → dong-jing-timu), where dropping every non-ASCII letter made 'unicde-crew'
    or, for a name with no Latin letter at all, plain 'org'."""
    slug = transliterated_slug(name, max_length=48, word_boundary=False).strip("-")
    return slug or "org"


def _org_target(org: Org) -> Target:
    return Target(type="org", id=str(org.id), label=org.slug)


def _member_target(user: User) -> Target:
    return Target(type="user", id=str(user.id), label=user.login)


async def _revoke_key(
    session: AsyncSession,
    context: OrgContext,
    key: ApiKey,
    client: ClientInfo,
    details: dict[str, str] | None = None,
) -> None:
    key.revoked_at = utcnow()
    target = Target(type="api_key", id=str(key.id), label=key.name)
    await audit.record_in_org(session, context, "api_key.revoke", client, target, details)


async def _revoke_invite(
    session: AsyncSession,
    context: OrgContext,
    invite: Invite,
    client: ClientInfo,
    details: dict[str, str] | None = None,
) -> None:
    invite.revoked_at = utcnow()
    target = Target(type="invite", id=str(invite.id), label=invite.email or "link")
    await audit.record_in_org(session, context, "invite.revoke", client, target, details)


# Orgs ------------------------------------------------------------------------------------


async def org_by_slug(
    session: AsyncSession, slug: str, *, include_deleted: bool = False
) -> Org | None:
    return await repository.org_by_slug(session, slug, include_deleted=include_deleted)


async def org_with_membership(
    session: AsyncSession, slug: str, user_id: uuid.UUID, *, include_deleted: bool = False
) -> tuple[Org, Membership] | None:
    """The org with this slug and the user's membership of it, in one statement; None
    when there is no such org or the user is not in it."""
    return await repository.org_with_membership(
        session, slug, user_id, include_deleted=include_deleted
    )


async def orgs_of_user(
    session: AsyncSession, user: User, *, include_deleted: bool
) -> list[tuple[Org, Role]]:
    """The user's orgs and roles; with `include_deleted`, also the deleted orgs they own
    (a deleted org is there for its owners only, to restore it)."""
    return await repository.orgs_of_user(session, user.id, include_deleted=include_deleted)


async def members(session: AsyncSession, context: OrgContext) -> list[tuple[Membership, User]]:
    return await repository.members(session, context.org.id)


async def invites(session: AsyncSession, context: OrgContext) -> list[tuple[Invite, User | None]]:
    return await repository.invites(session, context.org.id)


async def api_keys(session: AsyncSession, context: OrgContext) -> list[tuple[ApiKey, User | None]]:
    return await repository.api_keys(session, context.org.id)


async def slug_for_name(session: AsyncSession, name: str) -> str:
    """The slug creating an org named `name` would get now (the form's preview)."""
    return await _free_slug(session, name)


async def _free_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name)
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    for attempt in range(1, _MAX_SLUG_TRIES + 1):
        candidate = base if attempt == 1 else f"{base[:44]}-{attempt}"
        if not await repository.slug_taken(session, candidate):
            return candidate
    raise Conflict("Could not find a free slug for that name; choose one with `slug`.")


async def _check_slug_free(session: AsyncSession, slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise Conflict(f"The slug {slug!r} is reserved; choose another.")
    if await repository.slug_taken(session, slug):
        raise Conflict(f"The slug {slug!r} is taken; choose another.")


async def create_org(
    session: AsyncSession, user: User, name: str, slug: str | None, client: ClientInfo
) -> Org:
    if slug is not None:
        await _check_slug_free(session, slug)
    org = Org(name=name, slug=slug or await _free_slug(session, name))
    try:
        await repository.add(session, org)
    except IntegrityError:
        # Another request took the slug between our check and our insert.
        raise Conflict(f"The slug {org.slug!r} is taken; choose another.") from None
    await repository.add(session, Membership(org_id=org.id, user_id=user.id, role=Role.OWNER))
    await audit.record(
        session,
        "org.create",
        actor=Actor.of_user(user),
        client=client,
        org_id=org.id,
        target=_org_target(org),
        details={"name": org.name},
    )
    return org


async def update_org(
    session: AsyncSession,
    context: OrgContext,
    name: str | None,
    slug: str | None,
    client: ClientInfo,
) -> Org:
    org = context.org
    changes: dict[str, dict[str, str]] = {}
    if slug is not None and slug != org.slug:
        await _check_slug_free(session, slug)
        changes["slug"] = {"from": org.slug, "to": slug}
        org.slug = slug
    if name is not None and name != org.name:
        changes["name"] = {"from": org.name, "to": name}
        org.name = name
    if changes:
        try:
            await session.flush()
        except IntegrityError:
            # Another rename took the slug between our check and our write.
            raise Conflict(f"The slug {slug!r} is taken; choose another.") from None
        await audit.record_in_org(
            session, context, "org.rename", client, _org_target(org), details=changes
        )
    return org


# Members ---------------------------------------------------------------------------------


async def _member_or_404(
    session: AsyncSession, org: Org, user_id: uuid.UUID
) -> tuple[Membership, User]:
    found = await repository.member(session, org.id, user_id)
    if found is None:
        raise NotFound("No such member in this org.")
    return found


def _check_may_manage(context: OrgContext, current: Role, wanted: Role | None) -> None:
    """Only owners touch owners, and nobody hands out a role above their own."""
    touches_owner = current == Role.OWNER or wanted == Role.OWNER
    if touches_owner and context.role != Role.OWNER:
        raise Forbidden("Only an owner can change or remove an owner.")
    if wanted is not None and not context.role.at_least(wanted):
        raise Forbidden(f"You cannot grant {wanted.value}: it is above your own role.")


def _check_owner_rank(context: OrgContext, role: Role, what: str) -> None:
    if role == Role.OWNER and context.role != Role.OWNER:
        raise Forbidden(f"Only an owner can revoke {what}.")


async def _check_not_last_owner(session: AsyncSession, org: Org, membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    await repository.lock_org(session, org.id)
    if await repository.owner_count(session, org.id) <= 1:
        raise Conflict(
            f"{org.name} must keep at least one owner: make someone else an owner first."
        )


async def change_role(
    session: AsyncSession,
    context: OrgContext,
    user_id: uuid.UUID,
    role: Role,
    client: ClientInfo,
) -> tuple[Membership, User]:
    membership, user = await _member_or_404(session, context.org, user_id)
    _check_may_manage(context, membership.role, role)
    if role == membership.role:
        return membership, user
    if role != Role.OWNER:
        await _check_not_last_owner(session, context.org, membership)
    previous = membership.role
    membership.role = role
    await session.flush()
    await audit.record_in_org(
        session,
        context,
        "member.role_change",
        client,
        _member_target(user),
        details={"from": previous.value, "to": role.value},
    )
    return membership, user


async def remove_member(
    session: AsyncSession, context: OrgContext, user_id: uuid.UUID, client: ClientInfo
) -> None:
    membership, user = await _member_or_404(session, context.org, user_id)
    _check_may_manage(context, membership.role, None)
    await _check_not_last_owner(session, context.org, membership)
    await repository.delete_membership(session, membership)
    await audit.record_in_org(
        session,
        context,
        "member.remove",
        client,
        _member_target(user),
        details={"role": membership.role.value},
    )
    await _end_what_they_made(session, context, user, client, reason="removed")


async def leave(session: AsyncSession, context: OrgContext, client: ClientInfo) -> None:
    if context.user is None:
        raise BadRequest("An API key cannot leave an org; revoke it instead.")
    membership, user = await _member_or_404(session, context.org, context.user.id)
    await _check_not_last_owner(session, context.org, membership)
    await repository.delete_membership(session, membership)
    await audit.record_in_org(session, context, "member.leave", client, _member_target(user))
    await _end_what_they_made(session, context, user, client, reason="left")


async def end_member_authority(
    session: AsyncSession, context: OrgContext, user: User, client: ClientInfo, *, reason: str
) -> None:
    """What a member made stops acting for them in the org (their account is deleted, or
    they leave or are removed): see _end_what_they_made."""
    await _end_what_they_made(session, context, user, client, reason=reason)


async def _end_what_they_made(
    session: AsyncSession, context: OrgContext, user: User, client: ClientInfo, *, reason: str
) -> None:
    """A member's keys and pending invites die with their membership, and their GitHub
    token stops serving the org (SPEC §5); each is audited. Authentication and invite
    acceptance check the creator's membership too, so nothing slips through a race."""
    for key in await repository.live_keys_created_by(session, context.org.id, user.id):
        await _revoke_key(session, context, key, client, {"reason": f"creator_{reason}"})
    for invite in await repository.pending_invites_by(session, context.org.id, user.id, utcnow()):
        await _revoke_invite(session, context, invite, client, {"reason": f"inviter_{reason}"})
    await monitor_service.release_member_token(session, context, user, client, reason=reason)


# Invites ---------------------------------------------------------------------------------


def invite_status(invite: Invite) -> InviteStatus:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= utcnow():
        return "expired"
    return "pending"


@dataclass(frozen=True)
class CreatedInvite:
    invite: Invite
    token: str


async def create_invite(
    session: AsyncSession,
    context: OrgContext,
    settings: Settings,
    role: Role,
    email: str | None,
    expires_in_days: int,
    client: ClientInfo,
) -> CreatedInvite:
    if not context.role.at_least(role):
        raise Forbidden(f"You cannot invite as {role.value}: it is above your own role.")
    await plan_limits.check_member_slot(session, settings, context.org, accepting=False)
    token = new_token()
    invite = Invite(
        org_id=context.org.id,
        token_hash=hash_token(token),
        role=role,
        email=email.lower() if email else None,
        # Tied to the member behind the caller (an API key's creator), so the invite
        # never outlives, or outranks, that member's membership.
        invited_by_id=context.principal.on_behalf_of,
        expires_at=utcnow() + timedelta(days=expires_in_days),
    )
    await repository.add(session, invite)
    await audit.record_in_org(
        session,
        context,
        "invite.create",
        client,
        Target(type="invite", id=str(invite.id), label=email or "link"),
        details={"role": role.value, "expires_in_days": expires_in_days},
    )
    return CreatedInvite(invite=invite, token=token)


async def revoke_invite(
    session: AsyncSession, context: OrgContext, invite_id: uuid.UUID, client: ClientInfo
) -> None:
    invite = await repository.invite_in_org(session, context.org.id, invite_id)
    if invite is None:
        raise NotFound("No such invite in this org.")
    _check_owner_rank(context, invite.role, "an owner invite")
    status = invite_status(invite)
    if status != "pending":
        raise Conflict(f"This invite is {status}; only a pending invite can be revoked.")
    await _revoke_invite(session, context, invite, client)


@dataclass(frozen=True)
class FoundInvite:
    invite: Invite
    org: Org
    inviter: User | None
    # The inviter's role in the org now; None once they have left it (or were deleted).
    inviter_role: Role | None

    @property
    def role(self) -> Role:
        """What accepting grants: never more than the inviter holds now (SPEC §5)."""
        if self.inviter_role is None:
            return self.invite.role
        return weaker(self.invite.role, self.inviter_role)

    @property
    def status(self) -> InviteStatus:
        status = invite_status(self.invite)
        if status == "pending" and self.inviter_role is None:
            return "revoked"  # an invite dies with its inviter's membership
        return status


async def find_invite(session: AsyncSession, token: str) -> FoundInvite:
    found = await repository.invite_by_token_hash(session, hash_token(token))
    if found is None:
        raise NotFound("This invite link is not valid. Ask for a new one.")
    invite, org, inviter, inviter_role = found
    return FoundInvite(invite=invite, org=org, inviter=inviter, inviter_role=inviter_role)


async def accept_invite(
    session: AsyncSession, settings: Settings, user: User, token: str, client: ClientInfo
) -> tuple[Org, Role]:
    found = await find_invite(session, token)
    invite, org = found.invite, found.org
    # Checked here, at acceptance, and not only when the inviter left: a removal racing
    # with this request cannot let the invite through.
    if found.status != "pending":
        raise Conflict(f"This invite is {found.status}. Ask for a new one.")
    if invite.email and (user.email or "").lower() != invite.email:
        raise Forbidden(
            "This invite is for another email address. Sign in with the GitHub account "
            "whose primary email it was sent to."
        )
    if await repository.membership(session, org.id, user.id) is not None:
        raise Conflict(f"You are already a member of {org.name}.")
    await plan_limits.check_member_slot(session, settings, org, accepting=True)
    if not await repository.claim_invite(session, invite.id, user.id, utcnow()):
        raise Conflict("This invite was used a moment ago. Ask for a new one.")
    role, org_name = found.role, org.name  # read now: a failed flush expires the rows
    try:
        await repository.add(session, Membership(org_id=org.id, user_id=user.id, role=role))
    except IntegrityError:
        # Another invite to the same org, accepted by the same person at the same moment.
        raise Conflict(f"You are already a member of {org_name}.") from None
    await audit.record(
        session,
        "invite.accept",
        actor=Actor.of_user(user),
        client=client,
        org_id=org.id,
        target=Target(type="invite", id=str(invite.id), label=invite.email or "link"),
        details={"role": role.value, "invited_as": invite.role.value},
    )
    return org, role


# API keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    secret: str


async def create_api_key(
    session: AsyncSession, context: OrgContext, name: str, role: Role, client: ClientInfo
) -> CreatedApiKey:
    if not context.role.at_least(role):
        raise Forbidden(
            f"You cannot create an API key with the {role.value} role: it is above your own role."
        )
    secret = new_token(API_KEY_PREFIX)
    key = ApiKey(
        org_id=context.org.id,
        name=name,
        role=role,
        token_hash=hash_token(secret),
        hint=secret[: len(API_KEY_PREFIX) + 4],
        created_by_id=context.principal.on_behalf_of,
    )
    await repository.add(session, key)
    await audit.record_in_org(
        session,
        context,
        "api_key.create",
        client,
        Target(type="api_key", id=str(key.id), label=name),
        details={"role": role.value},
    )
    return CreatedApiKey(key=key, secret=secret)


async def revoke_api_key(
    session: AsyncSession, context: OrgContext, key_id: uuid.UUID, client: ClientInfo
) -> None:
    key = await repository.api_key_in_org(session, context.org.id, key_id)
    if key is None:
        raise NotFound("No such API key in this org.")
    _check_owner_rank(context, key.role, "an owner API key")
    await _revoke_key(session, context, key, client)
