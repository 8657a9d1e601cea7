"""`/api/me` deletion, restore and export (SPEC §4). Purging has no route, on purpose:
it is `infrasync admin purge` and the worker's daily job (tests/compliance checks)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from infrasync.auth.cookies import CookiePolicy
from infrasync.auth.router import me_of
from infrasync.auth.schemas import Me
from infrasync.compliance import service
from infrasync.compliance.export import export_user
from infrasync.compliance.schemas import UserExport
from infrasync.deps import AppSettings, Client, CurrentUser, DbSession, RestoringUser
from infrasync.errors import documented
from infrasync.kit.time import utcnow

router = APIRouter(prefix="/api", tags=["account"])


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented(
        401,
        403,
        409,
        e409="You are the last owner of an org that has other members",
    ),
)
async def delete_me(
    user: CurrentUser, session: DbSession, settings: AppSettings, client: Client
) -> Response:
    """Delete your account. Every session (this one too) ends at once, and in each org
    your API keys and pending invites are revoked; your GitHub token is forgotten and
    withdrawn everywhere; runs you queued stop. Orgs where you are the only member are
    deleted with you. 409 when you are the last owner of an org that has other members:
    make one of them an owner, or delete the org, first.

    Restorable for INFRASYNC_RETENTION_DAYS: sign in again with GitHub and confirm on the
    page the web app shows (POST /api/me/restore); after that it is purged for good.
    Needs the X-CSRF-Token header, like every write from a browser."""
    await service.delete_user(session, user, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    CookiePolicy.from_settings(settings).clear_session(response)
    return response


@router.post("/me/restore", response_model=Me, responses=documented(401, 403, 409))
async def restore_me(
    user: RestoringUser, session: DbSession, settings: AppSettings, client: Client
) -> Me:
    """Restore your deleted account, with the orgs deleted with it. Only for a session
    that signed in again (GitHub) within the retention period: GET /api/me then shows
    `deleted_at` and `restorable_until`, and this is the one other thing it may do. 409
    when the account is not deleted, or the period is over. Monitors of restored orgs
    stay paused; connect GitHub again to read repositories. Needs X-CSRF-Token."""
    await service.restore_user(session, settings, user, client)
    return await me_of(session, settings, user)


@router.get(
    "/me/export",
    response_model=UserExport,
    responses={
        **documented(401, 403),
        200: {"description": "A JSON download: infrasync-export-<login>.json"},
    },
)
async def export_me(user: CurrentUser, session: DbSession) -> Response:
    """Everything Infrasync holds about you, as one JSON document (`schema_version` 1):
    profile, memberships, audit entries by or about you, digests you triggered, your
    GitHub connection (scopes and hint only) and the email channels of your orgs that
    send to your address. No secret is ever in it."""
    document = await export_user(session, user, utcnow())
    return Response(
        content=document.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(user.login)}"'},
    )


def _file_name(login: str) -> str:
    """A GitHub login is [A-Za-z0-9-]; anything else (a login-link user's) is dropped
    from the file name, so no quote or newline can reach the header."""
    kept = "".join(ch for ch in login if ch.isascii() and (ch.isalnum() or ch in "-_."))
    return f"infrasync-export-{kept or 'user'}.json"
