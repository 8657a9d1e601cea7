"""Every table, one module each. Importing this registers them all with the metadata."""

from infrasync.kit.db import Base
from infrasync.models.api_key import ApiKey
from infrasync.models.audit_event import AuditEvent
from infrasync.models.auth_session import AuthSession
from infrasync.models.digest import DigestRecord
from infrasync.models.github_credential import GitHubCredential
from infrasync.models.github_token_offer import GitHubTokenOffer
from infrasync.models.invite import Invite
from infrasync.models.login_link import LoginLink
from infrasync.models.membership import Membership, Role
from infrasync.models.monitor import Monitor
from infrasync.models.oauth_state import OAuthState
from infrasync.models.org import Org
from infrasync.models.rate_limit import RateLimitWindow
from infrasync.models.user import User

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "DigestRecord",
    "GitHubCredential",
    "GitHubTokenOffer",
    "Invite",
    "LoginLink",
    "Membership",
    "Monitor",
    "OAuthState",
    "Org",
    "RateLimitWindow",
    "Role",
    "User",
]
