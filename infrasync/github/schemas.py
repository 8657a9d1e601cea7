"""How the API shows a GitHub connection: whose token, never the token."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from infrasync.models import GitHubCredential, User


class CredentialOut(BaseModel):
    """Whose GitHub token a monitor reads with — never the token."""

    user_id: uuid.UUID | None
    login: str | None
    token_hint: str = Field(description="The token's last characters, ellipsis included: …AbCd")
    private_access: bool
    usable: bool


def credential_out(credential: GitHubCredential, owner: User | None) -> CredentialOut:
    return CredentialOut(
        user_id=owner.id if owner else None,
        login=owner.login if owner else credential.github_login,
        token_hint=credential.token_hint,
        private_access=credential.private_access,
        usable=credential.rejected_at is None,
    )


class OrgTokenOut(CredentialOut):
    """A GitHub token as an org sees it: offered to it, or the caller's own."""

    offered: bool = Field(description="Offered to this org: its monitors may read with it")
    mine: bool = Field(description="The caller's own token")


def org_token_out(
    credential: GitHubCredential, owner: User, *, offered: bool, caller_id: uuid.UUID | None
) -> OrgTokenOut:
    return OrgTokenOut(
        **credential_out(credential, owner).model_dump(),
        offered=offered,
        mine=owner.id == caller_id,
    )
