from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.databases import PostgresDatabases
from tests.live_server import live_server, run_cli

COMMANDS = [
    ["serve"],
    ["worker"],
    ["tick"],
    ["migrate"],
    ["digest"],
    ["admin", "login-link"],
    ["admin", "purge"],
    ["admin", "rotate-keys"],
]


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    return lines[0]


def test_top_level_help_lists_every_command(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "tick", "migrate", "digest", "admin"):
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = run_cli(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_migrate_creates_the_embedded_database(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".infrasync" / "infrasync.db").is_file()
    assert "up to date" in result.stderr


def test_migrate_on_postgres_with_a_pasted_url(
    tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    name, url = postgres_databases.fresh(migrated=False)
    try:
        pasted = url.replace("postgresql+psycopg://", "postgres://")
        result = run_cli("migrate", cwd=tmp_path, INFRASYNC_DATABASE_URL=pasted)
        assert result.returncode == 0, result.stderr
    finally:
        postgres_databases.drop(name)


def test_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run_cli(
        "migrate",
        cwd=tmp_path,
        INFRASYNC_DATABASE_URL="postgresql://infrasync:s3cret-pw@127.0.0.1:9/nowhere",
    )
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert line.startswith("infrasync: cannot migrate")
    assert "s3cret-pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_usage_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "not-a-number", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert _one_line(result.stderr).startswith("infrasync: Invalid value for '--port'")


def test_a_group_alone_shows_its_commands(tmp_path: Path) -> None:
    result = run_cli("admin", cwd=tmp_path)
    assert result.returncode == 2
    assert "login-link" in result.stdout + result.stderr


def test_production_refusal_names_each_missing_setting(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, INFRASYNC_ENVIRONMENT="production")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    for name in (
        "INFRASYNC_SECRET_KEY",
        "INFRASYNC_ENCRYPTION_KEYS",
        "INFRASYNC_PUBLIC_URL",
        "INFRASYNC_FRONTEND_URL",
    ):
        assert any(line.startswith(f"infrasync: {name} is missing") for line in lines), name
    assert "Traceback" not in result.stderr


def test_serve_migrates_on_start_and_serves_api_and_web_app(tmp_path: Path) -> None:
    with live_server(tmp_path, "--no-worker") as base_url:
        ready = httpx.get(f"{base_url}/ready", timeout=5)
        assert ready.status_code == 200, ready.text
        page = httpx.get(f"{base_url}/orgs/acme/monitors/3", timeout=5)
        assert page.status_code == 200
        assert "<title>Infrasync</title>" in page.text
        assert httpx.get(f"{base_url}/api/nope", timeout=5).status_code == 404
        assert "x-request-id" in page.headers
