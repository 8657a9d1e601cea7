"""A tab left open across a redeploy: the page it asks for next is in a chunk the new build
no longer has. The app offers a reload in place of that page, under its header and the
org's tabs (never React Router's developer screen), and the reload brings the new build.
Also: each org page names itself and the org in the browser's title."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from infrasync.frontend import WEB_DIST
from tests.browser.server import Server
from tests.browser.test_orgs import create_org, sign_in
from tests.live_server import ServerProcess, cli_environment, free_port

pytestmark = pytest.mark.browser

REPOSITORY = Path(__file__).resolve().parents[2]
# `infrasync serve`, serving the web app from the directory named in argv[1] instead of
# the package's own build, so a test can change the files under a running server.
SERVE_FROM = (
    "import sys; from pathlib import Path; import infrasync.frontend as frontend; "
    "frontend.WEB_DIST = Path(sys.argv.pop(1)); from infrasync.cli import main; main()"
)
# Vite's hashed names: `MonitorsPage-DQtqEokc.js`, `index-B17_x4G_.css`.
HASHED = re.compile(r"^(?P<stem>.+-[A-Za-z0-9_-]{8})(?P<ext>\.(?:js|css))$")


class CopyServer(ServerProcess):
    """ServerProcess's life cycle, with the web app served from `web_dist`."""

    def __init__(self, cwd: Path, web_dist: Path) -> None:
        port = free_port()
        self.cwd = cwd
        self.base_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-c", SERVE_FROM, str(web_dist)]
        with (cwd / "serve.log").open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [*command, "serve", "--port", str(port), "--no-worker"],
                cwd=cwd,
                env={**cli_environment(), "PYTHONPATH": str(REPOSITORY)},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )


def redeploy(web_dist: Path) -> list[str]:
    """What a new build does to the files: every hashed file gets a new name (and the files
    naming it say so), the old names are gone. Returns the names that went."""
    renames = {
        path.name: HASHED.sub(r"\g<stem>v2\g<ext>", path.name)
        for path in (web_dist / "assets").iterdir()
        if HASHED.match(path.name)
    }
    pattern = re.compile("|".join(re.escape(old) for old in renames))
    for path in [web_dist / "index.html", *(web_dist / "assets").iterdir()]:
        if path.suffix not in (".js", ".css", ".html"):
            continue
        text = pattern.sub(lambda match: renames[match.group(0)], path.read_text(encoding="utf-8"))
        target = path.with_name(renames.get(path.name, path.name))
        target.write_text(text, encoding="utf-8")
        if target != path:
            path.unlink()
    return list(renames)


@pytest.fixture
def copy_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    web_dist = tmp_path / "web_dist"
    # Without the precompressed copies: the server sends the files this test rewrites.
    shutil.copytree(WEB_DIST, web_dist, ignore=shutil.ignore_patterns("*.br", "*.gz"))
    (tmp_path / "server").mkdir()
    process = CopyServer(tmp_path / "server", web_dist)
    try:
        process.wait_until_healthy()
        yield Server(base_url=process.base_url, cwd=process.cwd), web_dist
    finally:
        process.stop()


def test_a_tab_open_across_a_redeploy_offers_a_reload_that_recovers(
    page: Page, copy_server: tuple[Server, Path]
) -> None:
    server, web_dist = copy_server
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme Platform", "acme")
    gone = redeploy(web_dist)
    assert any(name.startswith("MonitorsPage-") for name in gone)

    tabs = page.get_by_role("navigation", name="Org sections")
    tabs.get_by_role("link", name="Monitors").click()
    problem = page.get_by_test_id("route-error")
    expect(problem.get_by_role("heading", name="This page could not be loaded")).to_be_visible()
    expect(page.get_by_text("Unexpected Application Error")).to_have_count(0)
    # The header and the org's tabs stay.
    expect(page.get_by_role("banner").get_by_text("Infrasync")).to_be_visible()
    expect(tabs.get_by_role("link", name="Members")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Acme Platform")).to_be_visible()

    problem.get_by_role("button", name="Reload").click()
    expect(page).to_have_url(server.url("/orgs/acme/monitors"))
    expect(page.get_by_role("heading", level=2, name="Monitors")).to_be_visible()
    expect(page.get_by_test_id("route-error")).to_have_count(0)
    # The new build's script, not the old one.
    scripts = page.locator("script[type=module]").evaluate_all("els => els.map(e => e.src)")
    assert scripts
    assert all("v2.js" in src for src in scripts), scripts


def test_each_org_page_names_itself_and_the_org_in_the_title(page: Page, server: Server) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme Platform", "acme")
    expect(page).to_have_title("Dashboard · Acme Platform · Infrasync")
    tabs = page.get_by_role("navigation", name="Org sections")
    tabs.get_by_role("link", name="Monitors").click()
    expect(page.get_by_role("heading", level=2, name="Monitors")).to_be_visible()
    expect(page).to_have_title("Monitors · Acme Platform · Infrasync")
    tabs.get_by_role("link", name="Audit log").click()
    expect(page).to_have_title("Audit log · Acme Platform · Infrasync")


def test_offline_the_app_says_so_and_keeps_its_header(page: Page, server: Server) -> None:
    sign_in(page, server, server.first_admin_link(), "admin")
    create_org(page, server, "Acme Platform", "acme")
    page.context.set_offline(True)
    banner = page.get_by_test_id("connection-banner")
    expect(banner).to_contain_text("You are offline.")
    # A page not fetched yet cannot come: said in its place, under the header and tabs.
    tabs = page.get_by_role("navigation", name="Org sections")
    tabs.get_by_role("link", name="Channels").click()
    problem = page.get_by_test_id("route-error")
    expect(problem.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(tabs.get_by_role("link", name="Members")).to_be_visible()
    expect(page.get_by_text("Unexpected Application Error")).to_have_count(0)

    page.context.set_offline(False)
    expect(banner).to_have_count(0)
    problem.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("heading", level=2, name="Channels")).to_be_visible()
