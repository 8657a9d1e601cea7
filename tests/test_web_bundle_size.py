"""What the first page load costs: the built web app's main bundle (the entry script and
the chunks index.html preloads) stays at or under 200 KB gzipped, each org page is a
chunk of its own fetched when opened, and the page shows a placeholder before any script
runs. Reads the build in infrasync/web_dist (`make web`)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from infrasync.frontend import WEB_DIST

MAIN_BUNDLE_LIMIT = 200 * 1024
# Pages a signed-in user opens from the org tabs: none may load with the first page.
PAGE_CHUNKS = (
    "DashboardPage",
    "MonitorsPage",
    "DigestsPage",
    "DigestPage",
    "ChannelsPage",
    "MembersPage",
    "AuditLogPage",
)


@pytest.fixture(scope="module")
def index_html() -> str:
    index = WEB_DIST / "index.html"
    if not index.is_file():
        pytest.skip("The web app is not built: run `make web` first.")
    return index.read_text(encoding="utf-8")


def initial_scripts(index_html: str) -> list[str]:
    """The scripts the browser fetches before the app can paint: the entry and its preloads."""
    return re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="/(assets/[^"]+\.js)"', index_html)


def gzipped_size(dist: Path, scripts: list[str]) -> int:
    return sum(
        len(gzip.compress((dist / script).read_bytes(), compresslevel=9)) for script in scripts
    )


def test_the_main_bundle_is_at_most_200_kb_gzipped(index_html: str) -> None:
    scripts = initial_scripts(index_html)
    assert scripts, "index.html names no script"
    size = gzipped_size(WEB_DIST, scripts)
    listing = ", ".join(scripts)
    print(f"main bundle: {size / 1024:.1f} KB gzip ({listing})")
    assert size <= MAIN_BUNDLE_LIMIT, (
        f"The first page load's scripts are {size / 1024:.1f} KB gzipped, over the "
        f"{MAIN_BUNDLE_LIMIT // 1024} KB budget: {listing}. Load a page or a library lazily."
    )


def test_org_pages_are_chunks_of_their_own(index_html: str) -> None:
    chunks = {path.name.split("-")[0] for path in (WEB_DIST / "assets").glob("*.js")}
    assert set(PAGE_CHUNKS) <= chunks
    initial = " ".join(initial_scripts(index_html))
    assert not [page for page in PAGE_CHUNKS if f"/{page}-" in initial]


def test_the_charts_library_is_not_in_the_first_load(index_html: str) -> None:
    """Recharts (about 100 KB gzipped) reaches the browser with a dashboard chart only."""
    initial = initial_scripts(index_html)
    # Recharts names its SVG's classes in its code: no minifier renames a string.
    with_charts = [s for s in initial if b"recharts-wrapper" in (WEB_DIST / s).read_bytes()]
    assert with_charts == []
    assets = (WEB_DIST / "assets").glob("*.js")
    assert any(b"recharts-wrapper" in path.read_bytes() for path in assets), "no chart chunk"


def test_the_page_shows_a_placeholder_before_any_script_runs(index_html: str) -> None:
    root = index_html[index_html.index('<div id="root">') :]
    assert "Loading Infrasync" in root
    # Styled by the stylesheet, never inline (the Content-Security-Policy allows neither).
    assert "style=" not in index_html
    assert "<script>" not in index_html


def test_the_budget_check_counts_what_it_should(tmp_path: Path) -> None:
    # Incompressible bytes, so gzip cannot shrink them under the limit.
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "index-a.js").write_bytes(_noise(150 * 1024))
    (tmp_path / "assets" / "vendor-b.js").write_bytes(_noise(60 * 1024))
    html = (
        '<script type="module" crossorigin src="/assets/index-a.js"></script>'
        '<link rel="modulepreload" crossorigin href="/assets/vendor-b.js">'
        '<link rel="stylesheet" crossorigin href="/assets/index-c.css">'
    )
    scripts = initial_scripts(html)
    assert scripts == ["assets/index-a.js", "assets/vendor-b.js"]
    assert gzipped_size(tmp_path, scripts) > MAIN_BUNDLE_LIMIT


def _noise(size: int) -> bytes:
    # A fixed pseudo-random sequence: the same bytes on every run.
    state, out = 0x2545F491, bytearray()
    while len(out) < size:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state >> 16 & 0xFF)
    return bytes(out)
