"""Browser tests: the built web app, served by a real `infrasync serve`, in Debian's
Chromium driven by Playwright (never a browser that a test tool downloads)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from infrasync.frontend import WEB_DIST
from tests.browser.server import Server, make_git_repository
from tests.live_server import live_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling hosts this machine cannot reach.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Browser tests need Debian's chromium: `apt-get install -y chromium`.")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    with live_server(tmp_path, "--no-worker") as base_url:
        yield Server(base_url=base_url, cwd=tmp_path)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Server]:
    """A server that runs in a small git repository with local sources allowed, so it makes
    the demo on first start: an org `demo` with a monitor on that repository and a digest.
    It runs its in-process worker, as `make run` does: Run now goes through the queue; and
    its channels may post to 127.0.0.1, where the tests' fake Slack and Discord listen."""
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    repository = make_git_repository(tmp_path / "repo")
    variables = {
        "INFRASYNC_LOCAL_SOURCE_ROOTS": str(tmp_path),
        "INFRASYNC_ALLOW_PRIVATE_WEBHOOKS": "true",
    }
    with live_server(repository, **variables) as base_url:
        yield Server(base_url=base_url, cwd=repository)
