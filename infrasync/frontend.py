"""Serves the built web app from `/`, with deep links answered by `index.html`.

The SPA owns every path that is not an API, auth or operations route, so a bookmark such
as `/orgs/acme/monitors/3`, or the `/signin?error=…` a refused sign-in lands on, must never
404; a path the web app does not know gets its own not-found page.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from infrasync.errors import NotFound
from infrasync.kit.encoding import accepts

WEB_DIST = Path(__file__).parent / "web_dist"
# Vite puts content-hashed files under assets/: a new build gets new names, so they can
# be cached for good. index.html names the current ones and must be revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=3600"
# The copies web/vite.config.ts writes beside each compressible file, best first.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
# Paths the server owns; an unknown one is an API miss, not a page.
SERVER_PREFIXES = ("api/", "auth/github/", "auth/link/", "auth/logout")

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Infrasync</title></head>
<body><h1>Infrasync</h1>
<p>The API is running, but the web app has not been built. Run <code>make run</code>
(or <code>make web</code>) from the repository to build it.</p></body></html>
"""


def _file_within(root: Path, relative: str) -> Path | None:
    """The file `relative` names inside `root`, or None (missing, a directory, or outside)."""
    try:
        candidate = (root / relative).resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return candidate if candidate.is_file() else None


def _precompressed(asset: Path, request: Request, cache: str) -> FileResponse:
    """`asset`, or the brotli or gzip copy the build wrote beside it when the browser takes it.

    The build compresses once, at the highest levels (brotli 11, gzip 9), so no request
    spends CPU on it: the 260 KB main script goes out as 70 KB of brotli or 80 KB of gzip.
    """
    headers = {"Cache-Control": cache}
    accept = request.headers.get("accept-encoding", "")
    for coding, suffix in PRECOMPRESSED:
        encoded = asset.with_name(asset.name + suffix)
        if encoded.is_file():
            headers["Vary"] = "Accept-Encoding"
            if accepts(accept, coding):
                headers["Content-Encoding"] = coding
                # The type of the file itself, not of its .br/.gz copy.
                media_type = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
                return FileResponse(encoded, media_type=media_type, headers=headers)
    return FileResponse(asset, headers=headers)


def build_router(web_dist: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    index = web_dist / "index.html"

    @router.api_route("/{path:path}", methods=["GET", "HEAD"])
    async def web_app(path: str, request: Request) -> Response:
        if path.startswith(SERVER_PREFIXES) or path == "api":
            raise NotFound(f"No API route {request.method} /{path}. See /docs for the API.")
        if path:
            asset = _file_within(web_dist, path)
            if asset is not None:
                cache = IMMUTABLE if path.startswith("assets/") else SHORT
                return _precompressed(asset, request, cache)
            if path.startswith("assets/"):
                # A stale page asking for an old bundle: a 404 lets the browser fail fast
                # instead of parsing index.html as JavaScript.
                raise NotFound(f"No such asset /{path}; reload the page.")
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE, headers={"Cache-Control": REVALIDATE})
        return _precompressed(index, request, REVALIDATE)

    return router
