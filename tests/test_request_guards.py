"""Every request's inputs are checked before a route sees them (kit/request_guards): a NUL
anywhere is a 400 that says where, and a body over the limit is a 413 however it is sent.

Postgres refuses to store a NUL in text, so without the check a NUL is a 500 there (and
stored as sent on SQLite): these tests run on both."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infrasync.kit.request_guards import MAX_REQUEST_BODY_BYTES, json_text_has_nul
from tests.conftest import Personas, SignIn
from tests.live_server import live_server, server_output

NUL_REFUSAL = "contains a NUL character (\\u0000), which Infrasync cannot store"


def _refused(response: httpx.Response, where: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == (
        f"The request's {where} {NUL_REFUSAL}; remove it and send the request again."
    )


async def test_a_nul_in_a_json_body_is_refused_and_nothing_changes(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    for body in ({"name": "Ac\x00me"}, {"na\x00me": "Acme"}, {"name": ["\x00"]}):
        _refused(await owner.patch("/api/orgs/acme", json=body), "body")
    # Written by hand, as a client other than Python's json module might write it.
    raw = b'{"name": "Acme \\u0000 Corp"}'
    response = await owner.patch(
        "/api/orgs/acme", content=raw, headers={"Content-Type": "application/json"}
    )
    _refused(response, "body")
    assert (await owner.get("/api/orgs/acme")).json()["name"] == "Acme"


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    name = "Acme \\u0000"  # a backslash, then the letters u0000
    response = await owner.patch("/api/orgs/acme", json={"name": name})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == name


async def test_a_nul_in_the_path_query_or_headers_is_refused(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    _refused(await owner.get("/api/orgs/ac%00me"), "path")
    _refused(await owner.get("/api/orgs/acme/audit", params={"action": "a\x00b"}), "query string")
    _refused(await owner.get("/api/orgs/acme/audit?action=a%00b"), "query string")
    # The user agent is written to the audit log with the change.
    response = await owner.patch(
        "/api/orgs/acme", json={"name": "Renamed"}, headers={"User-Agent": "agent\x00"}
    )
    _refused(response, "user-agent header")
    # A quoted cookie value may spell a NUL as an octal escape, which cookie parsing decodes.
    response = await owner.get("/api/me", headers={"Cookie": 'infrasync_session="\\000abc"'})
    _refused(response, "cookie header")
    assert (await owner.get("/api/orgs/acme")).json()["name"] == "Acme"


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


async def test_a_chunked_body_over_the_limit_is_413(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    response = await owner.post(
        "/api/orgs",
        content=_chunks(MAX_REQUEST_BODY_BYTES + 1),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == "The request body is larger than 1024 KiB; send less."


async def test_a_chunked_body_within_the_limit_is_read_whole(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    body = json.dumps({"name": "Chunked"}).encode() + b" " * (MAX_REQUEST_BODY_BYTES - 100)

    async def in_pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 50_000):
            yield body[start : start + 50_000]

    response = await owner.post(
        "/api/orgs", content=in_pieces(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Chunked"


def test_a_real_server_answers_a_chunked_body_over_the_limit_with_413(tmp_path: Path) -> None:
    def chunks() -> Any:
        for _ in range(MAX_REQUEST_BODY_BYTES // 65536 + 1):
            yield b" " * 65536

    with live_server(tmp_path, "--no-worker") as base_url, httpx.Client() as http:
        response = http.post(
            f"{base_url}/api/orgs", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text
        # The server is still there for the next request.
        assert http.get(f"{base_url}/health").status_code == 200
    assert "Traceback" not in server_output(tmp_path)


# Any JSON document, with strings that may hold a NUL, a backslash or the text "u0000".
_TEXT = st.text(alphabet=st.sampled_from(["\x00", "\\", "u", "0", "a", '"', "é", "\n"]))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


@settings(max_examples=300, deadline=None)
@given(document=_JSON, ascii_only=st.booleans())
def test_the_body_scan_finds_a_nul_exactly_when_a_string_holds_one(
    document: object, ascii_only: bool
) -> None:
    body = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert json_text_has_nul(body) == _holds_nul(document)


@pytest.mark.parametrize("body", [b"", b"{}", b'"\\\\u0000"', b'"\\\\\\\\u0000"'])
def test_bodies_without_a_nul_pass(body: bytes) -> None:
    assert not json_text_has_nul(body)
