"""The seams of ARCHITECTURE.md, checked on the source: who is calling lives in a plain
module; `kit/` is domain-free; routers call services, services call repositories, and a
domain reaches another only through its service."""

from __future__ import annotations

import ast
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
