"""Every table, one module each. Importing this registers them all with the metadata."""

from infrasync.kit.db import Base
from infrasync.models.api_key import ApiKey
from infrasync.models.audit_event import AuditEvent
from infrasync.models.auth_session import AuthSession
from infrasync.models.channel import Channel, monitor_channels
from infrasync.models.delivery import Delivery, DeliveryAttempt
from infrasync.models.digest import DigestRecord
from infrasync.models.digest_figures import DigestFigures
from infrasync.models.digest_run import DigestRun
from infrasync.models.email_suppression import EmailSuppression
from infrasync.models.github_credential import GitHubCredential
from infrasync.models.github_token_offer import GitHubTokenOffer
from infrasync.models.invite import Invite
from infrasync.models.local_first_seen import LocalFirstSeen
from infrasync.models.login_link import LoginLink
from infrasync.models.membership import Membership, Role
from infrasync.models.monitor import Monitor
from infrasync.models.monitor_feed import MonitorFeed
from infrasync.models.oauth_state import OAuthState
from infrasync.models.org import Org
from infrasync.models.org_billing import OrgBilling, StripeEvent
from infrasync.models.rate_limit import RateLimitWindow
from infrasync.models.user import User
from infrasync.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "DigestFigures",
    "DigestRecord",
    "DigestRun",
    "EmailSuppression",
    "GitHubCredential",
    "GitHubTokenOffer",
    "Invite",
    "LocalFirstSeen",
    "LoginLink",
    "Membership",
    "Monitor",
    "MonitorFeed",
    "OAuthState",
    "Org",
    "OrgBilling",
    "RateLimitWindow",
    "Role",
    "StripeEvent",
    "User",
    "WorkerHeartbeat",
    "monitor_channels",
]
