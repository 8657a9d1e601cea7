"""How fast the authenticated API answers, against a bare FastAPI route on the same server.

    .venv/bin/python -m bench.api                      # SQLite, 10 s per measurement
    .venv/bin/python -m bench.api --postgres-url postgresql://postgres@127.0.0.1/test
    .venv/bin/python -m bench.api --duration 5 --connections 32

It starts `infrasync serve --no-worker` on a fresh database (an org of 20 GitHub monitors,
an admin, an API key and a signed-in session) and a bare FastAPI app answering a fixed
list with the same uvicorn settings, then drives `GET /api/orgs/{org}/monitors` with wrk:
with the API key and with the session cookie, on SQLite and (with --postgres-url or
INFRASYNC_TEST_DATABASE_URL) on Postgres. For each it prints one line:
- the throughput at 32 connections, and its ratio to the bare route's (target >= 0.3x);
- the p99 at half of that throughput (wrk paced by its `delay()` hook; target < 50 ms);
- the SQL statements one such request runs (target <= 2), counted in process.

wrk comes from Debian: `apt-get install -y wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import event

from bench.arguments import parser_from_docstring
from infrasync.auth import service as auth_service
from infrasync.auth.cookies import SESSION_COOKIE
from infrasync.db import create_engine_for, session_factory, upgrade_to_head
from infrasync.github.credentials import store_github_token
from infrasync.kit.client_info import NO_CLIENT
from infrasync.kit.crypto import SecretBox
from infrasync.kit.tokens import hash_token, new_token
from infrasync.kit.urls import normalize_database_url
from infrasync.models import ApiKey
from infrasync.models.membership import Role
from tests.chaos.world import Source, add_due_monitors
from tests.databases import PostgresDatabases
from tests.factories import add_member, make_org, make_user

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-" + "s" * 40
ROUTE = "/api/orgs/acme/monitors"
MONITORS = 20
TARGET_RATIO = 0.3
TARGET_P99_MS = 50.0
TARGET_STATEMENTS = 2

# The bare app: what FastAPI on this uvicorn gives with no database, no auth and no
# middleware, the limit the product's route is measured against.
BARE_APP = """
import uvicorn
from fastapi import FastAPI

app = FastAPI()
ITEMS = [{"id": n, "name": f"Monitor {n}", "source": "acme/app"} for n in range(20)]

@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}

@app.get("/api/orgs/acme/monitors")
async def monitors() -> list[dict[str, object]]:
    return ITEMS

uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_config=None,
            server_header=False)
"""

# wrk paced to a rate: each connection waits `delay_ms` before each request.
PACED_SCRIPT = """
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS"))
function delay()
  return delay_ms
end
"""


def say(message: str) -> None:
    print(f"api: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class World:
    database_url: str
    key: str  # the Fernet key
    api_key: str
    cookie: str


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p99_ms: float
    errors: int


# The world ---------------------------------------------------------------------------------


async def seed(database_url: str) -> World:
    upgrade_to_head(database_url)
    key = Fernet.generate_key().decode()
    engine = create_engine_for(database_url)
    try:
        async with session_factory(engine)() as session:
            org = await make_org(session, "Acme", slug="acme")
            admin = await make_user(session, "bench-admin")
            await add_member(session, org, admin, Role.ADMIN)
            stored = await store_github_token(
                session,
                SecretBox.from_keys([key]),
                token="ghp_" + "b" * 36,
                scopes="repo",
                org_id=org.id,
            )
            source = Source("acme/app", "github", stored.credential.id)
            await add_due_monitors(
                session, SecretBox.from_keys([key]), org.id, source, MONITORS, lambda _: []
            )
            api_key = new_token("isk_")
            session.add(
                ApiKey(
                    org_id=org.id,
                    name="bench",
                    role=Role.MEMBER,
                    token_hash=hash_token(api_key),
                    hint=api_key[:8],
                    created_by_id=admin.id,
                )
            )
            issued = await auth_service.start_session(session, admin, SECRET_KEY, NO_CLIENT)
            await session.commit()
    finally:
        await engine.dispose()
    return World(database_url, key, api_key, issued.cookie_value)


def environment(world: World) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("INFRASYNC_")}
    kept.update(
        PYTHONPATH=str(REPOSITORY_ROOT),
        INFRASYNC_DATABASE_URL=world.database_url,
        INFRASYNC_SECRET_KEY=SECRET_KEY,
        INFRASYNC_ENCRYPTION_KEYS=world.key,
        INFRASYNC_LOG_FORMAT="json",
    )
    return kept


# Servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(
    process: subprocess.Popen[bytes],
    base: str,
    *,
    poll_seconds: float = 0.1,
    within_seconds: float = 60.0,
    see: str = "",
) -> None:
    """Returns once `base`/health answers 200; SystemExit when the server exits first or
    does not answer in time (`see` says where its log is)."""
    deadline = time.perf_counter() + within_seconds
    with httpx.Client() as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"bench: the server exited before answering /health{see}")
            try:
                if client.get(base + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(poll_seconds)
    raise SystemExit(f"bench: no 200 on /health within {within_seconds:.0f} s{see}")


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str], scratch: Path) -> Iterator[str]:
    """Starts a server and yields its base URL once /health answers 200."""
    log = (scratch / f"server-{port}.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=scratch, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base, see=f"; see {log.name}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def product(world: World, scratch: Path) -> tuple[list[str], int, dict[str, str]]:
    port = free_port()
    command = [sys.executable, "-m", "infrasync", "serve", "--no-worker", "--port", str(port)]
    return command, port, environment(world)


def bare(scratch: Path) -> tuple[list[str], int, dict[str, str]]:
    script = scratch / "bare_app.py"
    script.write_text(BARE_APP)
    port = free_port()
    return [sys.executable, str(script), str(port)], port, dict(os.environ)


# Load --------------------------------------------------------------------------------------


def wrk(
    url: str, headers: dict[str, str], *, connections: int, seconds: float, delay_ms: float = 0
) -> WrkResult:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    if delay_ms:
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(PACED_SCRIPT)
        command += ["-s", str(script)]
        env["BENCH_DELAY_MS"] = str(round(delay_ms))
    output = subprocess.run([*command, url], capture_output=True, text=True, env=env, check=True)
    return parse_wrk(output.stdout)


def parse_wrk(text: str) -> WrkResult:
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    p99 = re.search(r"^\s*99%\s+([0-9.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if rate is None or p99 is None:
        raise SystemExit(f"api: could not read wrk's output:\n{text}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return WrkResult(float(rate.group(1)), float(p99.group(1)) * scale, errors)


# Statements per request ----------------------------------------------------------------------


async def statements_per_request(world: World, headers: dict[str, str]) -> int:
    """The statements one request runs, counted on the app's own engine, in process."""
    from infrasync.app import create_app
    from infrasync.config import load_settings

    os.environ.update(environment(world))
    app = create_app(load_settings())
    counted: list[str] = []
    event.listen(
        app.state.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _k, statement, *_: counted.append(statement),
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            await client.get(ROUTE, headers=headers)  # warm: the first connection's pragmas
            counted.clear()
            response = await client.get(ROUTE, headers=headers)
            response.raise_for_status()
    finally:
        await app.state.engine.dispose()
    return len(counted)


# The run -------------------------------------------------------------------------------------


def measure(
    label: str, base: str, headers: dict[str, str], bare_rate: float, arguments: argparse.Namespace
) -> str:
    full = wrk(base + ROUTE, headers, connections=arguments.connections, seconds=arguments.duration)
    half_rate = full.requests_per_second / 2
    paced = wrk(
        base + ROUTE,
        headers,
        connections=arguments.connections,
        seconds=arguments.duration,
        delay_ms=arguments.connections * 1000 / max(half_rate, 1),
    )
    ratio = full.requests_per_second / bare_rate
    return (
        f"{label}: {full.requests_per_second:.0f} req/s at {arguments.connections} connections "
        f"= {ratio:.2f}x the bare route (target >= {TARGET_RATIO}x: "
        f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}), p99 {full.p99_ms:.0f} ms; "
        f"p99 {paced.p99_ms:.1f} ms at {paced.requests_per_second:.0f} req/s (half; target "
        f"< {TARGET_P99_MS:.0f} ms: {'met' if paced.p99_ms < TARGET_P99_MS else 'MISSED'})"
        + (f"; {full.errors + paced.errors} errors" if full.errors + paced.errors else "")
    )


def run_backend(name: str, database_url: str, arguments: argparse.Namespace, scratch: Path) -> None:
    world = asyncio.run(seed(database_url))
    by_key = {"Authorization": f"Bearer {world.api_key}"}
    by_cookie = {"Cookie": f"{SESSION_COOKIE}={world.cookie}"}
    counts = {
        "API key": asyncio.run(statements_per_request(world, by_key)),
        "session": asyncio.run(statements_per_request(world, by_cookie)),
    }
    command, port, env = bare(scratch)
    with serving(command, port, env, scratch) as bare_base:
        say(f"{name}: the bare route")
        bare_result = wrk(
            bare_base + ROUTE, {}, connections=arguments.connections, seconds=arguments.duration
        )
    command, port, env = product(world, scratch)
    with serving(command, port, env, scratch) as base:
        for label, headers in (("API key", by_key), ("session", by_cookie)):
            say(f"{name}: {label}")
            figures = measure(
                f"{name}, {label}", base, headers, bare_result.requests_per_second, arguments
            )
            statements = counts[label]
            met = "met" if statements <= TARGET_STATEMENTS else "MISSED"
            print(
                f"{figures}; {statements} SQL statements per request (target <= "
                f"{TARGET_STATEMENTS}: {met}) [bare route {bare_result.requests_per_second:.0f} "
                f"req/s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores]",
                flush=True,
            )


def main() -> None:
    parser = parser_from_docstring("python -m bench.api", __doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("INFRASYNC_TEST_DATABASE_URL"),
        help="a Postgres server to create the bench's database on (else SQLite only)",
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("api: wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        sqlite_url = normalize_database_url(f"sqlite:///{scratch / 'api.db'}")
        run_backend("SQLite", sqlite_url, arguments, scratch)
        if arguments.postgres_url:
            postgres = PostgresDatabases(normalize_database_url(arguments.postgres_url))
            name, url = postgres.fresh(migrated=False)
            try:
                run_backend("Postgres", normalize_database_url(url), arguments, scratch)
            finally:
                postgres.drop(name)


if __name__ == "__main__":
    main()
