"""Keyset pagination over (created_at, id), newest first: stable while rows are added,
unlike OFFSET, and as fast on page 1,000 as on page 1."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Select, and_, or_

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


def keyset(query: Select[Row], model: type[Row], *, limit: int, cursor: str | None) -> Select[Row]:
    """`query` narrowed to the page after `cursor`, newest first, with one row past the
    page (to know whether there is a next one). The repository runs it; see `page_of`."""
    if cursor is not None:
        created_at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def page_of(rows: Sequence[Row], limit: int) -> tuple[list[Row], str | None]:
    """The page among the rows a `keyset` query read, and the next page's cursor (None at
    the end)."""
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    return list(rows[:limit]), encode_cursor(last.created_at, last.id)
