"""Keyset pagination over (created_at, id), newest first: stable while rows are added,
unlike OFFSET, and as fast on page 1,000 as on page 1."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.errors import BadRequest
from infrasync.kit.db import RecordMixin

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = base64.urlsafe_b64decode(padded).decode().split("|")
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("naive")
        # In UTC here, as the column stores it: a forged 0001-01-01T00:00+01:00 has no UTC
        # time, and would otherwise overflow while the query is bound (a 500).
        return moment.astimezone(UTC), uuid.UUID(row_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "The cursor is not one this API gave out; use `next_cursor` from the previous page."
        ) from None


Row = TypeVar("Row", bound=RecordMixin)


async def keyset_page(
    session: AsyncSession,
    query: Select[Row],
    model: type[Row],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """One page of `query`'s rows, newest first, and the cursor of the next (None at the
    end). One row past the page is read to know whether there is a next one."""
    if cursor is not None:
        created_at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(query)).all())
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
