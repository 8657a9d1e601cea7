from __future__ import annotations

from scripts.export_openapi import OPENAPI_PATH, current_openapi_document


def test_web_clients_openapi_document_is_current() -> None:
    """The web app's typed client is generated from web/openapi.json; a stale copy means
    the client and the API disagree. Fix with `make openapi`."""
    assert OPENAPI_PATH.read_text(encoding="utf-8") == current_openapi_document(), (
        "web/openapi.json is stale: run `make openapi`"
    )
