"""Who is calling: a plain module, free of FastAPI and of database sessions, so that
services, the CLI and the worker can say who acts without faking a request
(ARCHITECTURE "A request's way"). `deps.py` only builds these from a request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from infrasync.models import ApiKey, Org, Role, User

ActorType = Literal["user", "api_key", "system"]


@dataclass(frozen=True)
class Actor:
    """Who an audit row says acted."""

    type: ActorType
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    label: str

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(type="user", user_id=user.id, api_key_id=None, label=user.login)

    @classmethod
    def of_api_key(cls, key: ApiKey) -> Actor:
        return cls(
            type="api_key", user_id=None, api_key_id=key.id, label=f"{key.name} ({key.hint}…)"
        )

    @classmethod
    def system(cls, label: str = "infrasync") -> Actor:
        return cls(type="system", user_id=None, api_key_id=None, label=label)


def weaker(first: Role, second: Role) -> Role:
    """The lower of two roles: what a key or an invite acts with (SPEC §5)."""
    return first if second.at_least(first) else second


@dataclass(frozen=True)
class Principal:
    """The caller: a signed-in user (by cookie), an org's API key, or nobody.

    An API key acts for the member who made it: `api_key_role` is already the lower of
    the key's own role and its creator's current role in the key's org.
    """

    user: User | None = None
    api_key: ApiKey | None = None
    api_key_role: Role | None = None
    # The key's org, read with the key: the one org a key can reach, resolved once.
    api_key_org: Org | None = None

    @property
    def actor(self) -> Actor:
        if self.api_key is not None:
            return Actor.of_api_key(self.api_key)
        assert self.user is not None
        return Actor.of_user(self.user)

    @property
    def on_behalf_of(self) -> uuid.UUID | None:
        """The member whose authority this caller carries: what a key or an invite made
        by this caller is tied to, so it dies with that member's membership."""
        if self.api_key is not None:
            return self.api_key.created_by_id
        return self.user.id if self.user is not None else None


@dataclass(frozen=True)
class OrgContext:
    """An org as one caller sees it: with the role they act with there."""

    org: Org
    role: Role
    principal: Principal

    @property
    def actor(self) -> Actor:
        return self.principal.actor

    @property
    def user(self) -> User | None:
        return self.principal.user

    @classmethod
    def of_member(cls, org: Org, user: User, role: Role) -> OrgContext:
        """A member acting in person (the demo, the worker on a member's behalf)."""
        return cls(org=org, role=role, principal=Principal(user=user))
