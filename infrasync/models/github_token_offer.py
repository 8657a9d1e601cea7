from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infrasync.kit.db import Base, RecordMixin


class GitHubTokenOffer(RecordMixin, Base):
    """A member's explicit offer of their connected GitHub token to one org (SPEC §5).

    The org's monitors may read GitHub with that member's token only while this row
    exists and the member is still in the org. A token is never borrowed: nobody can
    make this row for someone else. It names the user, not the credential, so that
    reconnecting GitHub (a new token) keeps the offer.
    """

    __tablename__ = "github_token_offers"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
