"""Every table, one module each. Importing this registers them all with the metadata."""

from infrasync.kit.db import Base
from infrasync.models.membership import Membership, Role
from infrasync.models.org import Org
from infrasync.models.user import User

__all__ = ["Base", "Membership", "Org", "Role", "User"]
