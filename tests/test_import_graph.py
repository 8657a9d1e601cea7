"""The seams of ARCHITECTURE.md, checked on the source: who is calling lives in a plain
module; `kit/` is domain-free; routers call services, services call repositories, and a
domain reaches another only through its service."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "infrasync"
DOMAINS = {"audit", "auth", "digests", "github", "monitors", "orgs"}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(relative.parts).removesuffix(".__init__"), path


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, `from a import b` counted as both `a` and `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(_modules())


def _offending(module: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in _imports(MODULES[module])
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_who_is_calling_lives_in_a_plain_module() -> None:
    forbidden = ("fastapi", "starlette", "sqlalchemy.ext.asyncio", "infrasync.deps")
    assert _offending("infrasync.auth.context", forbidden) == []


@pytest.mark.parametrize("module", [m for m in MODULES if m.startswith("infrasync.kit")])
def test_kit_is_domain_free(module: str) -> None:
    """No FastAPI, no database session, no table, nothing of a domain: SQL belongs in a
    domain's repository. (Plain ASGI middlewares may use Starlette's types.)"""
    domains = tuple(f"infrasync.{d}" for d in DOMAINS)
    forbidden = ("fastapi", "sqlalchemy.ext.asyncio", "infrasync.models", "infrasync.deps")
    assert _offending(module, (*domains, *forbidden)) == []


@pytest.mark.parametrize("module", [m for m in MODULES if m.endswith(".router")])
def test_routers_import_no_repository(module: str) -> None:
    repositories = tuple(m for m in MODULES if m.endswith(".repository"))
    assert _offending(module, repositories) == []


def test_deps_imports_no_repository() -> None:
    repositories = tuple(m for m in MODULES if m.endswith(".repository"))
    assert _offending("infrasync.deps", repositories) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_domains_reach_each_other_through_services_only(module: str) -> None:
    parts = module.split(".")
    own = parts[1] if len(parts) > 1 else ""
    others = tuple(f"infrasync.{d}.repository" for d in DOMAINS if d != own)
    assert _offending(module, others) == []


def test_the_graph_is_really_read() -> None:
    """The checks above would pass on an empty list; this one would not."""
    assert "infrasync.auth.context" in MODULES
    assert len([m for m in MODULES if m.endswith(".router")]) >= 5
    assert "infrasync.orgs.service" in _imports(MODULES["infrasync.orgs.router"])


def test_heavy_sdks_are_imported_where_they_are_used() -> None:
    """openai, boto3 and stripe load only when a model writes, SSM is read or billing
    runs: not for the command line, nor for the app, to start."""
    code = (
        "import sys, infrasync.cli, infrasync.app\n"
        "print(sorted(m for m in ('openai', 'boto3', 'stripe') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr


# What the command line may not load, checked on the process itself (bench/cli_start.py
# says why: each of these costs `infrasync --help` tens to hundreds of milliseconds).
# A name covers its submodules.
HELP_MUST_NOT_LOAD = (
    "sqlalchemy",
    "pydantic",
    "pydantic_settings",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "openai",
    "stripe",
    "boto3",
    "cryptography",
    "structlog",
    "rich",
    "typer.rich_utils",
    "importlib.metadata",
    "asyncio",
    "infrasync.config",
    "infrasync.db",
)
# A local digest reads git and writes text: no web framework, ORM, HTTP client or LLM SDK.
LOCAL_DIGEST_MUST_NOT_LOAD = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "httpx",
    "openai",
    "stripe",
    "boto3",
    "rich.markdown",
    "typer.rich_utils",
    # structlog loads rich's tracebacks and pretty-printer (a tenth of a second); the
    # local builtin path logs through the standard library alone.
    "structlog",
    "rich.traceback",
    "rich.pretty",
)
# Runs the command line as `python -m infrasync` does, then writes what it loaded (and
# its exit code) to the file named first: stdout stays the command's own.
_PROBE = """
import json, runpy, sys
report, sys.argv = sys.argv[1], ["infrasync", *sys.argv[2:]]
code = 0
try:
    runpy.run_module("infrasync", run_name="__main__")
except SystemExit as done:
    code = done.code
with open(report, "w", encoding="utf-8") as file:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, file)
"""


def _loaded_by(tmp_path: Path, *args: str) -> tuple[object, list[str]]:
    """The exit code of `infrasync ARGS` run in `tmp_path`, and the modules it loaded."""
    from tests.live_server import cli_environment

    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), *args],
        cwd=tmp_path,
        env=cli_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.is_file(), done.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["exit"], found["modules"]


def _among(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


HELPS = [
    ["--help"],
    ["serve", "--help"],
    ["worker", "--help"],
    ["tick", "--help"],
    ["migrate", "--help"],
    ["digest", "--help"],
    ["admin", "--help"],
    ["admin", "login-link", "--help"],
    ["admin", "purge", "--help"],
    ["admin", "rotate-keys", "--help"],
]


@pytest.mark.parametrize("args", HELPS, ids=" ".join)
def test_help_loads_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    """`--help` is typer and the standard library: plain Click help, with no settings,
    no database and no rich formatting."""
    code, modules = _loaded_by(tmp_path, *args)
    assert code == 0
    assert _among(modules, HELP_MUST_NOT_LOAD) == []


def test_a_usage_mistake_loads_no_database_or_web_framework(tmp_path: Path) -> None:
    code, modules = _loaded_by(tmp_path, "frobnicate")
    assert code == 2
    assert _among(modules, ("sqlalchemy", "fastapi", "starlette", "infrasync.config")) == []


def test_a_local_digest_loads_no_web_framework_orm_or_llm_sdk(tmp_path: Path) -> None:
    from tests.digests.test_digest_cli import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("hello\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "First commit")
    code, modules = _loaded_by(tmp_path, "digest", str(repo), "--since", "7d")
    assert code == 0
    assert _among(modules, LOCAL_DIGEST_MUST_NOT_LOAD) == []
    # The probe really ran the digest: these are what makes one.
    assert {"infrasync.digests.compose", "infrasync.sources.local_git"} <= set(modules)


def test_plain_modules_load_no_web_framework_or_orm() -> None:
    """Errors, settings and the plain kit helpers are imported by the command line and
    the sources; FastAPI and SQLAlchemy belong to the app and the database layer."""
    plain = (
        "infrasync.errors",
        "infrasync.config",
        "infrasync.config_errors",
        "infrasync.github.repo_ref",
        "infrasync.sources.service",
        "infrasync.kit.aio",
        "infrasync.kit.crypto",
        "infrasync.kit.time",
        "infrasync.kit.tokens",
        "infrasync.kit.urls",
    )
    code = f"import sys\nimport {', '.join(plain)}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = ("fastapi", "starlette", "sqlalchemy", "httpx", "infrasync.db", "infrasync.models")
    assert _among(done.stdout.split(), heavy) == []
