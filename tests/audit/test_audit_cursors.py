"""A cursor the API never gave out is a 400 with a sentence, whatever it decodes to: a
date out of range, a date with no UTC form, a broken id, or no base64 at all."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Personas, SignIn
from tests.factories import make_user


def forged(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


ROW = uuid.UUID(int=1)
FORGED_CURSORS = {
    "year 1 at UTC+14 (no UTC time)": forged(f"0001-01-01T00:00:00+14:00|{ROW}"),
    "year 9999 at UTC-14 (no UTC time)": forged(f"9999-12-31T23:59:59-14:00|{ROW}"),
    "no zone": forged(f"2026-11-01T00:00:00|{ROW}"),
    "not an id": forged("2026-11-01T00:00:00+00:00|not-an-id"),
    "three parts": forged(f"2026-11-01T00:00:00+00:00|{ROW}|extra"),
    "not base64": "%%%",
    "one character": "a",
    "not ascii": "ü",
    "not utf-8": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
}
REFUSAL = "The cursor is not one this API gave out; use `next_cursor` from the previous page."


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
async def test_my_audit_log_refuses_a_forged_cursor_even_with_no_org(
    sign_in: SignIn, session: AsyncSession, cursor: str
) -> None:
    loner = await make_user(session, "loner")
    await session.commit()
    http = await sign_in(loner)
    response = await http.get("/api/me/audit", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == REFUSAL


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
async def test_org_audit_log_and_digest_list_refuse_a_forged_cursor(
    sign_in: SignIn, personas: Personas, cursor: str
) -> None:
    owner = await sign_in(personas.owner)
    for path in ("/api/orgs/acme/audit", "/api/orgs/acme/digests"):
        response = await owner.get(path, params={"cursor": cursor})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["detail"] == REFUSAL


async def test_a_cursor_in_another_timezone_pages_as_its_utc_time(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    for number in range(3):
        await owner.patch("/api/orgs/acme", json={"name": f"Acme {number}"})
    [newest, *_] = (await owner.get("/api/orgs/acme/audit")).json()["items"]
    # The newest row's own time, written at UTC+02:00 and with an id above every id.
    moment = newest["created_at"].replace("Z", "+00:00")
    shifted = forged(f"{_in_utc_plus_2(moment)}|{uuid.UUID(int=2**128 - 1)}")
    page = (await owner.get("/api/orgs/acme/audit", params={"cursor": shifted})).json()
    assert page["items"][0]["id"] == newest["id"]


def _in_utc_plus_2(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(timezone(timedelta(hours=2))).isoformat()
