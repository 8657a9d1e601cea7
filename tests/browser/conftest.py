"""Browser tests: the built web app, served by a real `infrasync serve`, in Debian's
Chromium driven by Playwright (never a browser that a test tool downloads)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from infrasync.frontend import WEB_DIST
from tests.browser.server import UNANSWERED_GITHUB_URL, Server, make_git_repository
from tests.live_server import ServerProcess

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


def _plain(directory: Path) -> ServerProcess:
    return ServerProcess(directory, "--no-worker")


def _demo(directory: Path) -> ServerProcess:
    repository = make_git_repository(directory / "repo")
    variables = {
        "INFRASYNC_LOCAL_SOURCE_ROOTS": str(directory),
        "INFRASYNC_ALLOW_PRIVATE_WEBHOOKS": "true",
    }
    return ServerProcess(repository, **variables)


def _with_github_app(directory: Path) -> ServerProcess:
    github = {
        "INFRASYNC_GITHUB_CLIENT_ID": "Iv1.test-client",
        "INFRASYNC_GITHUB_CLIENT_SECRET": "test-secret",
        "INFRASYNC_GITHUB_URL": UNANSWERED_GITHUB_URL,
    }
    return ServerProcess(directory, "--no-worker", **github)


# Each server fixture and how its server starts, in a directory of its own.
SERVER_KINDS: dict[str, Callable[[Path], ServerProcess]] = {
    "server": _plain,
    "demo_server": _demo,
    "github_server": _with_github_app,
}


class Servers:
    """Every test gets a server of its own, freshly started, as before; but the next
    test's server is started while this test runs, so its boot (imports, migrations) no
    longer adds to the run's time. A server started ahead and never used is stopped at
    the end of the session."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._ahead: dict[str, ServerProcess] = {}

    def _start(self, kind: str) -> ServerProcess:
        return SERVER_KINDS[kind](self._tmp_path_factory.mktemp(kind))

    def take(self, kind: str) -> ServerProcess:
        started = self._ahead.pop(kind, None)
        if started is not None:
            try:
                started.wait_until_healthy()
                return started
            except RuntimeError:  # e.g. its port was taken while it booted: start anew
                started.stop()
        server = self._start(kind)
        try:
            server.wait_until_healthy()
        except BaseException:
            server.stop()
            raise
        return server

    def start_ahead_for(self, item: pytest.Item | None) -> None:
        if item is None:
            return
        needs = getattr(item, "fixturenames", ())
        for kind in SERVER_KINDS:
            if kind in needs and kind not in self._ahead:
                self._ahead[kind] = self._start(kind)

    def stop_all(self) -> None:
        while self._ahead:
            self._ahead.popitem()[1].stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started = Servers(tmp_path_factory)
    yield started
    started.stop_all()


def _next_item(request: pytest.FixtureRequest) -> pytest.Item | None:
    if hasattr(request.config, "workerinput"):
        return None  # under xdist the next item may well run in another worker
    items = request.session.items
    position = items.index(request.node)
    return items[position + 1] if position + 1 < len(items) else None


def _serve(request: pytest.FixtureRequest, servers: Servers, kind: str) -> Iterator[Server]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` first.")
    process = servers.take(kind)
    try:
        # Only once this test's server answers, so the two boots do not compete.
        servers.start_ahead_for(_next_item(request))
        yield Server(base_url=process.base_url, cwd=process.cwd)
    finally:
        process.stop()


@pytest.fixture
def server(request: pytest.FixtureRequest, servers: Servers) -> Iterator[Server]:
    yield from _serve(request, servers, "server")


@pytest.fixture
def demo_server(request: pytest.FixtureRequest, servers: Servers) -> Iterator[Server]:
    """A server that runs in a small git repository with local sources allowed, so it makes
    the demo on first start: an org `demo` with a monitor on that repository and a digest.
    It runs its in-process worker, as `make run` does: Run now goes through the queue; and
    its channels may post to 127.0.0.1, where the tests' fake Slack and Discord listen."""
    yield from _serve(request, servers, "demo_server")


@pytest.fixture
def github_server(request: pytest.FixtureRequest, servers: Servers) -> Iterator[Server]:
    """A server with a GitHub app configured, pointing at an address nothing answers on:
    enough to send a browser to GitHub, which no test follows."""
    yield from _serve(request, servers, "github_server")
