"""The API docs, `/docs` (Swagger UI) and `/redoc` (ReDoc), with every file from this server.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a server without the
internet (self-hosted, air-gapped, or a developer offline) `/docs` stayed blank. The
scripts and stylesheet come from the `fastapi-offline` package instead: a small MIT
package that only ships the upstream bundles (swagger-ui-dist 5 and ReDoc 2, the majors
FastAPI's CDN links name) and is refreshed with them; we use its files, not its app factory.

Neither page has an inline script: Swagger UI is started by `swagger-init.js` served here
and ReDoc starts itself from its `<redoc>` element, so their Content-Security-Policy
allows scripts from this origin only. The files' URLs carry the package's version, so a
browser may keep them for good and an upgrade gets new URLs.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
from functools import cache
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from infrasync.errors import NotFound
from infrasync.kit.encoding import accepts

_STATIC = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PREFIX = f"/docs/assets/{importlib.metadata.version('fastapi-offline')}"
OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
IMMUTABLE = "public, max-age=31536000, immutable"

# Swagger UI's start-up, as FastAPI's page runs it inline, as a file of its own.
_SWAGGER_INIT = f"""window.ui = SwaggerUIBundle({{
  url: {json.dumps(OPENAPI_URL)},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  oauth2RedirectUrl: window.location.origin + {json.dumps(OAUTH2_REDIRECT_URL)},
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
""".encode()

_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "swagger-init.js")


@cache
def _asset(name: str) -> tuple[bytes, bytes]:
    """A docs file as it is and gzipped (once per process: Swagger UI is 1.5 MB, 440 KB zipped)."""
    body = _SWAGGER_INIT if name == "swagger-init.js" else (_STATIC / name).read_bytes()
    return body, gzip.compress(body, compresslevel=9, mtime=0)


def _swagger_page(title: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="/favicon.svg">
<link rel="stylesheet" href="{ASSETS_PREFIX}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PREFIX}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PREFIX}/swagger-init.js"></script>
</body>
</html>
"""


def _redoc_page(title: str) -> str:
    # No Google Fonts: ReDoc falls back to the system's fonts.
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="/favicon.svg">
</head>
<body>
<redoc spec-url="{OPENAPI_URL}"></redoc>
<script src="{ASSETS_PREFIX}/redoc.standalone.js"></script>
</body>
</html>
"""


def build_router(title: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(_swagger_page(f"{title} API · Swagger UI"))

    @router.get(OAUTH2_REDIRECT_URL)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        return HTMLResponse(_redoc_page(f"{title} API · ReDoc"))

    @router.api_route(ASSETS_PREFIX + "/{name}", methods=["GET", "HEAD"])
    async def docs_asset(name: str, request: Request) -> Response:
        if name not in _FILES:
            raise NotFound(f"No docs file {name}; open /docs or /redoc.")
        plain, zipped = _asset(name)
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        media_type = _MEDIA_TYPES[Path(name).suffix]
        if accepts(request.headers.get("accept-encoding", ""), "gzip"):
            headers["Content-Encoding"] = "gzip"
            return Response(zipped, media_type=media_type, headers=headers)
        return Response(plain, media_type=media_type, headers=headers)

    return router
