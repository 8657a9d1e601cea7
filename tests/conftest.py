"""Shared fixtures: settings, a fresh migrated database per test on each backend, the
app driven through httpx's ASGI transport, and personas.

Every test that takes `database_url` (directly or through `app`/`client`) runs once on
SQLite and, when INFRASYNC_TEST_DATABASE_URL names a Postgres server, once on Postgres.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.app import create_app
from infrasync.auth import service as auth_service
from infrasync.auth.cookies import CSRF_COOKIE, SESSION_COOKIE
from infrasync.config import Settings, load_settings
from infrasync.kit.client_info import NO_CLIENT
from infrasync.models import Org, Role, User
from tests.databases import (
    PostgresDatabases,
    SqliteDatabases,
    postgres_admin_url,
    through_pooler,
)
from tests.factories import add_member, make_org, make_user

SignIn = Callable[[User], Awaitable[httpx.AsyncClient]]

# Both variants always exist, so a run without a Postgres server shows its postgres
# variants as skipped, with the reason (`-ra`), instead of silently running fewer tests.
POSTGRES_MISSING = (
    "INFRASYNC_TEST_DATABASE_URL is not set: the postgres variants need a server, e.g. "
    "INFRASYNC_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
)
# A `skip` mark (not `skipif`, not `pytest.skip()` in a fixture) is what `-ra` folds into
# one summary line per test file.
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[pytest.mark.skip(reason=POSTGRES_MISSING)] if postgres_admin_url() is None else [],
    ),
]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's INFRASYNC_* variables, .env file or ./.infrasync leak into a test."""
    for name in list(os.environ):
        if name.startswith("INFRASYNC_") and name != "INFRASYNC_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    databases = SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))
    databases.create_template()
    return databases


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip(POSTGRES_MISSING)
    databases = PostgresDatabases(admin_url)
    databases.create_template()
    yield databases
    databases.drop_spares()
    databases.drop(databases.template)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    backend_name: str = request.param
    return backend_name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database of its own for this test."""
    if backend == "sqlite":
        sqlite: SqliteDatabases = request.getfixturevalue("sqlite_databases")
        yield sqlite.fresh(tmp_path)
        return
    postgres: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name, url = postgres.lend()
    yield through_pooler(url)
    postgres.give_back(name)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Extra settings for the app under test; override the fixture to change them."""
    return {}


# Nothing listens on the discard port: a test that forgot its fake GitHub is refused at
# once, and no test ever reaches the real one.
UNREACHABLE_GITHUB = "http://127.0.0.1:9"


@pytest.fixture
def settings(database_url: str, settings_overrides: dict[str, object]) -> Settings:
    return load_settings(
        database_url=database_url,
        **{"github_api_url": UNREACHABLE_GITHUB, **settings_overrides},
    )


@pytest.fixture
def web_dist(tmp_path: Path) -> Path:
    """A small built web app: an index page and one hashed asset, as Vite lays them out."""
    dist = tmp_path / "web_dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        "<!doctype html><html><head><title>Infrasync</title>"
        '<script type="module" src="/assets/index-abc123.js"></script></head>'
        '<body><div id="root"></div></body></html>',
        encoding="utf-8",
    )
    (dist / "assets" / "index-abc123.js").write_text("console.log('app');", encoding="utf-8")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dist


@pytest.fixture
async def app(settings: Settings, web_dist: Path) -> AsyncIterator[FastAPI]:
    application = create_app(settings, web_dist=web_dist)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        yield http


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session on the app's own database, committed when the test's setup is done."""
    async with app.state.session_factory() as db_session:
        yield db_session


@pytest.fixture
async def sign_in(app: FastAPI) -> AsyncIterator[SignIn]:
    """Opens a client signed in as a user, as a browser would be after signing in: the
    session cookie, the CSRF cookie, and the X-CSRF-Token header the web app sends."""
    clients: list[httpx.AsyncClient] = []

    async def signed_in(user: User) -> httpx.AsyncClient:
        settings: Settings = app.state.settings
        async with app.state.session_factory() as db_session:
            issued = await auth_service.start_session(
                db_session, user, settings.effective_secret_key, NO_CLIENT
            )
            await db_session.commit()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://127.0.0.1:8000",
            cookies={SESSION_COOKIE: issued.cookie_value, CSRF_COOKIE: issued.csrf_token},
            headers={"X-CSRF-Token": issued.csrf_token},
        )
        clients.append(http)
        return http

    yield signed_in
    for http in clients:
        await http.aclose()


@dataclass
class Personas:
    """The people every endpoint's tests need: one of each role in Acme, and an outsider
    who belongs only to another org."""

    org: Org
    owner: User
    admin: User
    member: User
    viewer: User
    other_org: Org
    outsider: User


@pytest.fixture
async def personas(session: AsyncSession) -> Personas:
    acme = await make_org(session, "Acme")
    globex = await make_org(session, "Globex")
    people = {}
    for role in Role:
        people[role] = await make_user(session, f"{role.value}-of-acme")
        await add_member(session, acme, people[role], role)
    outsider = await make_user(session, "outsider")
    await add_member(session, globex, outsider, Role.OWNER)
    await session.commit()
    return Personas(
        org=acme,
        owner=people[Role.OWNER],
        admin=people[Role.ADMIN],
        member=people[Role.MEMBER],
        viewer=people[Role.VIEWER],
        other_org=globex,
        outsider=outsider,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps its own event loop for the rest
    of the session, and pytest-asyncio's loops must not start while it is alive."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures a test wants seen in every run, passed or failed, with or without xdist
    (the chaos test's count of duplicates): a ("shown", text) user property."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.getreports(outcome):
            if getattr(report, "when", None) != "call":
                continue  # the teardown's report carries the same properties
            for name, value in report.user_properties:
                if name == "shown":
                    terminalreporter.write_line(str(value))


def client_with(
    app: FastAPI, cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """A fresh client (a browser with exactly these cookies), for forged or stolen ones."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1:8000",
        cookies=cookies,
        headers=headers,
    )
