from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx
import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/orgs/acme/monitors/3",
        # A digest's permalink, as the feed's entries and the monitors page link to it.
        "/orgs/acme/digests/0b6f2a4e-8c1d-4f3a-9e2b-5d7c6a1f0e93",
        "/signin?error=bad_state",
        "/auth/callback",
        "/settings/",
        "/a.b",
    ],
)
async def test_every_web_app_path_is_answered_by_index_html(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="root"></div>' in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_good(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('app');"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_unhashed_public_files_are_cached_briefly(client: httpx.AsyncClient) -> None:
    response = await client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"


async def test_a_missing_asset_is_a_404_not_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/index-old999.js")
    assert response.status_code == 404
    assert "reload the page" in response.json()["detail"]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/orgs/acme/nothing-here", "/api"])
async def test_unknown_api_paths_are_json_404s(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "See /docs for the API" in response.json()["detail"]


async def test_server_auth_paths_are_not_swallowed_by_the_web_app(
    client: httpx.AsyncClient,
) -> None:
    # These belong to the server (sign-in lands with its own issue); until a route exists
    # they must not silently render the web app.
    for path in ("/auth/github/unknown", "/auth/link/"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "path", ["/..%2f..%2f..%2fetc%2fpasswd", "/assets/..%2f..%2f..%2fetc%2fpasswd", "/%2e%2e/x"]
)
async def test_paths_cannot_escape_the_web_app_directory(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert "root:" not in response.text
    assert response.status_code in (200, 404)


async def test_head_requests_are_answered(client: httpx.AsyncClient) -> None:
    response = await client.head("/orgs/acme")
    assert response.status_code == 200


async def test_docs_and_openapi_describe_the_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/health", "/ready", "/metrics"} <= set(schema["paths"])
    # The catch-alls are plumbing, not API.
    assert not any("{path" in path for path in schema["paths"])
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_a_body_over_the_limit_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/anything", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert "larger than 1024 KiB" in response.json()["detail"]


def _precompress(asset: Path) -> tuple[bytes, bytes]:
    """The .br and .gz copies the build writes beside a file (brotli stood in for by marked bytes:
    Python has no brotli, and the server only chooses the file, never decodes it)."""
    body = asset.read_bytes()
    brotli, zipped = b"BROTLI:" + body, gzip.compress(body)
    asset.with_name(asset.name + ".br").write_bytes(brotli)
    asset.with_name(asset.name + ".gz").write_bytes(zipped)
    return brotli, zipped


async def test_scripts_go_out_precompressed_in_the_best_coding_the_browser_takes(
    client: httpx.AsyncClient, web_dist: Path
) -> None:
    brotli, zipped = _precompress(web_dist / "assets" / "index-abc123.js")
    chromium = await client.get(
        "/assets/index-abc123.js", headers={"accept-encoding": "gzip, deflate, br, zstd"}
    )
    assert chromium.headers["content-encoding"] == "br"
    assert chromium.headers["content-type"].startswith("text/javascript")
    assert "Accept-Encoding" in chromium.headers["vary"]
    assert chromium.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert chromium.content == brotli

    older = await client.get("/assets/index-abc123.js", headers={"accept-encoding": "gzip"})
    assert older.headers["content-encoding"] == "gzip"
    # httpx decodes gzip itself: the bytes sent were the .gz copy.
    assert older.text == "console.log('app');"
    assert older.headers["content-length"] == str(len(zipped))

    no_brotli = await client.get(
        "/assets/index-abc123.js", headers={"accept-encoding": "br;q=0, gzip"}
    )
    assert no_brotli.headers["content-encoding"] == "gzip"

    plain = await client.get("/assets/index-abc123.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == "console.log('app');"
    assert "Accept-Encoding" in plain.headers["vary"]


async def test_index_html_is_revalidated_and_compressed_too(
    client: httpx.AsyncClient, web_dist: Path
) -> None:
    _precompress(web_dist / "index.html")
    response = await client.get("/orgs/acme/monitors", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<div id="root"></div>' in response.text  # decoded by httpx


async def test_the_api_docs_load_their_files_from_this_server(client: httpx.AsyncClient) -> None:
    for page, needs in (
        ("/docs", ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js")),
        ("/redoc", ("redoc.standalone.js",)),
    ):
        html = (await client.get(page)).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert all(source.startswith("/") for source in sources), sources
        for name in needs:
            (url,) = [source for source in sources if source.endswith(name)]
            asset = await client.get(url, headers={"accept-encoding": "gzip"})
            assert asset.status_code == 200, url
            assert asset.headers["content-encoding"] == "gzip"
            assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
            plain = await client.get(url, headers={"accept-encoding": "identity"})
            assert "content-encoding" not in plain.headers
            assert plain.content == asset.content  # httpx decoded the gzip
            assert int(asset.headers["content-length"]) < len(plain.content)


async def test_an_unknown_docs_file_is_a_404(client: httpx.AsyncClient) -> None:
    html = (await client.get("/docs")).text
    (bundle,) = re.findall(r'src="([^"]+swagger-ui-bundle\.js)"', html)
    # Only the docs' own files: not the package's other files, nor anything beside them.
    response = await client.get(bundle.replace("swagger-ui-bundle.js", "favicon.png"))
    assert response.status_code == 404
    escape = await client.get(bundle.replace("swagger-ui-bundle.js", "..%2f..%2f__init__.py"))
    assert "import" not in escape.text
