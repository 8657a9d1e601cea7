"""Writes the API's OpenAPI document to web/openapi.json, the web app's typed client's
source (`npm run gen:api` turns it into web/src/api/schema.d.ts). `make openapi` runs both."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from infrasync.app import create_app
from infrasync.config import load_settings

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "web" / "openapi.json"


def current_openapi_document() -> str:
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(
            database_url=f"sqlite:///{scratch}/unused.db",
            secret_key="x" * 48,
            encryption_keys=Fernet.generate_key().decode(),
        )
        schema: dict[str, Any] = create_app(settings).openapi()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OPENAPI_PATH.write_text(current_openapi_document(), encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
