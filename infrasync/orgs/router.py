"""`/api/orgs`: orgs, members, invites and API keys (SPEC §4, §5)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from infrasync.auth.rate_limit import Limit
from infrasync.compliance import service as compliance_service
from infrasync.deps import (
    AdminOrg,
    AppSettings,
    Client,
    CurrentUser,
    DbSession,
    DeletedOrgOwner,
    OwnerOrg,
    RateLimit,
    ViewerOrg,
)
from infrasync.errors import documented
from infrasync.models import ApiKey, Invite, Membership, Org, Role, User
from infrasync.orgs import service
from infrasync.orgs.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    InviteCreate,
    InviteCreated,
    InviteOut,
    InvitePreview,
    MemberOut,
    MemberUpdate,
    OrgCreate,
    OrgOut,
    OrgUpdate,
    SlugPreview,
)

router = APIRouter(prefix="/api", tags=["orgs"])

INVITE_ACCEPT_LIMIT = Limit("invite-accept", requests=10, per_seconds=60)
INVITE_PREVIEW_LIMIT = Limit("invite-preview", requests=30, per_seconds=60)

ORG_ROUTE = documented(401, 403, 404)
ORG_CHANGE = documented(401, 403, 404, 409)


def _org_out(org: Org, role: Role, retention_days: int | None = None) -> OrgOut:
    return OrgOut(
        id=org.id,
        name=org.name,
        slug=org.slug,
        role=role,
        created_at=org.created_at,
        deleted_at=org.deleted_at,
        restorable_until=(
            compliance_service.restorable_until(org.deleted_at, retention_days)
            if retention_days is not None
            else None
        ),
    )


def _member_out(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        login=user.login,
        name=user.name,
        email=user.email,
        avatar_url=user.avatar_url,
        role=membership.role,
        joined_at=membership.created_at,
    )


def _invite_out(invite: Invite, inviter: User | None) -> InviteOut:
    return InviteOut(
        id=invite.id,
        role=invite.role,
        email=invite.email,
        invited_by=inviter.login if inviter else None,
        status=service.invite_status(invite),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
    )


def _api_key_out(key: ApiKey, creator: User | None) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        role=key.role,
        hint=key.hint,
        created_by=creator.login if creator else None,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
    )


# Orgs ------------------------------------------------------------------------------------


@router.get("/orgs", response_model=list[OrgOut], responses=documented(401))
async def list_my_orgs(
    user: CurrentUser, session: DbSession, settings: AppSettings, include_deleted: bool = False
) -> list[OrgOut]:
    """The orgs you belong to, with your role. `include_deleted` adds the soft-deleted
    ones you own, with `deleted_at` and `restorable_until` (restore them until then)."""
    rows = await service.orgs_of_user(session, user, include_deleted=include_deleted)
    return [_org_out(org, role, settings.retention_days) for org, role in rows]


@router.post(
    "/orgs",
    response_model=OrgOut,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 403, 409, 422),
)
async def create_org(
    body: OrgCreate, user: CurrentUser, session: DbSession, client: Client
) -> OrgOut:
    """Create an org; you become its owner. The slug comes from the name unless given."""
    org = await service.create_org(session, user, body.name, body.slug, client)
    return _org_out(org, Role.OWNER)


@router.get("/org-slug", response_model=SlugPreview, responses=documented(401, 422))
async def preview_slug(
    name: Annotated[str, Query(min_length=1, max_length=100)],
    user: CurrentUser,
    session: DbSession,
) -> SlugPreview:
    """The slug `POST /api/orgs` would give an org with this name now (transliterated,
    made unique), so the web app can show it before the org exists."""
    del user  # signed-in people only: it says which slugs are taken
    return SlugPreview(slug=await service.slug_for_name(session, name.strip()))


@router.get("/orgs/{org}", response_model=OrgOut, responses=ORG_ROUTE)
async def get_org(context: ViewerOrg) -> OrgOut:
    return _org_out(context.org, context.role)


@router.patch("/orgs/{org}", response_model=OrgOut, responses=ORG_CHANGE)
async def update_org(
    body: OrgUpdate, context: AdminOrg, session: DbSession, client: Client
) -> OrgOut:
    """Rename the org or change its slug (links with the old slug stop working)."""
    org = await service.update_org(session, context, body.name, body.slug, client)
    return _org_out(org, context.role)


@router.delete(
    "/orgs/{org}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ORG_ROUTE,
    response_class=Response,
)
async def delete_org(context: OwnerOrg, session: DbSession, client: Client) -> None:
    """Soft-delete the org (owners only). From the next request on, everything under it
    is a 404 for every member (its owners can only restore it), its API keys get 401 and
    its invites 404; its monitors stop, queued runs and pending deliveries are stopped.
    Owners can restore it for INFRASYNC_RETENTION_DAYS (it stays in
    `GET /api/orgs?include_deleted=true` with `restorable_until`); then it is purged."""
    await compliance_service.delete_org(session, context, client)


@router.post("/orgs/{org}/restore", response_model=OrgOut, responses=ORG_CHANGE)
async def restore_org(
    context: DeletedOrgOwner, session: DbSession, client: Client, settings: AppSettings
) -> OrgOut:
    """Restore a deleted org (owners only) within the retention period: 200 with the
    org, whole again (members, keys, invites, channels; scheduled monitors resume from
    their next fire time); 409 when it is not deleted; 404 once the period is over."""
    org = await compliance_service.restore_org(session, context, client, settings.retention_days)
    return _org_out(org, context.role)


# Members ---------------------------------------------------------------------------------


@router.get("/orgs/{org}/members", response_model=list[MemberOut], responses=ORG_ROUTE)
async def list_members(context: ViewerOrg, session: DbSession) -> list[MemberOut]:
    return [_member_out(m, u) for m, u in await service.members(session, context)]


@router.patch(
    "/orgs/{org}/members/{user_id}",
    response_model=MemberOut,
    responses=ORG_CHANGE,
)
async def change_member_role(
    user_id: uuid.UUID, body: MemberUpdate, context: AdminOrg, session: DbSession, client: Client
) -> MemberOut:
    """Change a member's role. Only owners make or unmake owners; the last owner stays."""
    membership, user = await service.change_role(session, context, user_id, body.role, client)
    return _member_out(membership, user)


@router.delete(
    "/orgs/{org}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ORG_CHANGE,
    response_class=Response,
)
async def remove_member(
    user_id: uuid.UUID, context: AdminOrg, session: DbSession, client: Client
) -> None:
    """Remove a member; their access ends on their very next request."""
    await service.remove_member(session, context, user_id, client)


@router.post(
    "/orgs/{org}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ORG_CHANGE,
    response_class=Response,
)
async def leave_org(context: ViewerOrg, session: DbSession, client: Client) -> None:
    """Leave the org. The last owner cannot leave."""
    await service.leave(session, context, client)


# Invites ---------------------------------------------------------------------------------


@router.get("/orgs/{org}/invites", response_model=list[InviteOut], responses=ORG_ROUTE)
async def list_invites(context: AdminOrg, session: DbSession) -> list[InviteOut]:
    return [_invite_out(i, u) for i, u in await service.invites(session, context)]


@router.post(
    "/orgs/{org}/invites",
    response_model=InviteCreated,
    status_code=status.HTTP_201_CREATED,
    responses=documented(401, 402, 403, 404),
)
async def create_invite(
    body: InviteCreate,
    context: AdminOrg,
    session: DbSession,
    client: Client,
    settings: AppSettings,
) -> InviteCreated:
    """Invite someone with a role no higher than yours. The link is shown once."""
    created = await service.create_invite(
        session, context, settings, body.role, body.email, body.expires_in_days, client
    )
    out = _invite_out(created.invite, context.user)
    url = f"{settings.effective_frontend_url}/invites/{created.token}"
    return InviteCreated(**out.model_dump(), token=created.token, url=url)


@router.delete(
    "/orgs/{org}/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ORG_CHANGE,
    response_class=Response,
)
async def revoke_invite(
    invite_id: uuid.UUID, context: AdminOrg, session: DbSession, client: Client
) -> None:
    await service.revoke_invite(session, context, invite_id, client)


@router.get(
    "/invites/{token}",
    response_model=InvitePreview,
    responses=documented(401, 404, 429, e404="No such invite"),
    dependencies=[Depends(RateLimit(INVITE_PREVIEW_LIMIT))],
)
async def preview_invite(token: str, user: CurrentUser, session: DbSession) -> InvitePreview:
    """What an invite link offers, before you accept it."""
    found = await service.find_invite(session, token)
    return InvitePreview(
        org_name=found.org.name,
        org_slug=found.org.slug,
        role=found.role,
        invited_by=found.inviter.login if found.inviter else None,
        email_bound=found.invite.email is not None,
        status=found.status,
        expires_at=found.invite.expires_at,
    )


@router.post(
    "/invites/{token}/accept",
    response_model=OrgOut,
    responses=documented(
        401,
        402,
        403,
        404,
        409,
        429,
        e403="The invite is for another email address, or the CSRF header is missing",
        e404="No such invite",
    ),
    dependencies=[Depends(RateLimit(INVITE_ACCEPT_LIMIT))],
)
async def accept_invite(
    token: str, user: CurrentUser, session: DbSession, client: Client, settings: AppSettings
) -> OrgOut:
    """Join the org with the invite's role. Each invite works once."""
    org, role = await service.accept_invite(session, settings, user, token, client)
    return _org_out(org, role)


# API keys --------------------------------------------------------------------------------


@router.get("/orgs/{org}/api-keys", response_model=list[ApiKeyOut], responses=ORG_ROUTE)
async def list_api_keys(context: AdminOrg, session: DbSession) -> list[ApiKeyOut]:
    return [_api_key_out(k, u) for k, u in await service.api_keys(session, context)]


@router.post(
    "/orgs/{org}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=ORG_ROUTE,
)
async def create_api_key(
    body: ApiKeyCreate, context: AdminOrg, session: DbSession, client: Client
) -> ApiKeyCreated:
    """Create an API key with a role no higher than yours. The key is shown once."""
    created = await service.create_api_key(session, context, body.name, body.role, client)
    out = _api_key_out(created.key, context.user)
    return ApiKeyCreated(**out.model_dump(), key=created.secret)


@router.delete(
    "/orgs/{org}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ORG_ROUTE,
    response_class=Response,
)
async def revoke_api_key(
    key_id: uuid.UUID, context: AdminOrg, session: DbSession, client: Client
) -> None:
    """Revoke an API key; requests with it fail from the next one on."""
    await service.revoke_api_key(session, context, key_id, client)
