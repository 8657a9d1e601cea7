"""Builds the web app into infrasync/web_dist when a wheel is built, so an installed
Infrasync serves its web app. Editable installs skip this: `make run` builds it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WebAppBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "web-app"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        web = Path(self.root) / "web"
        if not (web / "package.json").is_file():
            return  # building from an sdist that already carries web_dist
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("Building the wheel needs npm (Node 20+) to build the web app.")
        if not _installed_from_lock(web):
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
        if not _built_from_sources(web, Path(self.root) / "infrasync" / "web_dist"):
            subprocess.run([npm, "run", "build"], cwd=web, check=True)


# What the build reads, as the Makefile's WEB_SOURCES lists it.
_WEB_SOURCE_DIRS = ("src", "public", "vite-plugins")
_WEB_SOURCE_FILES = ("index.html", "vite.config.ts", "tsconfig.json", "package.json")


def _built_from_sources(web: Path, dist: Path) -> bool:
    """Whether `make web` already built web_dist from the current sources (its index.html
    is newer than every source), as `make run` does before the wheel check: a second Vite
    build of the same files would only spend a CI minute."""
    index = dist / "index.html"
    if not index.is_file():
        return False
    sources = [web / name for name in _WEB_SOURCE_FILES]
    for directory in _WEB_SOURCE_DIRS:
        sources.extend(path for path in (web / directory).rglob("*") if path.is_file())
    built_at = index.stat().st_mtime
    return all(path.stat().st_mtime <= built_at for path in sources if path.exists())


def _installed_from_lock(web: Path) -> bool:
    """Whether `make` installed web/node_modules from the current package-lock.json (its
    marker is newer): then `npm ci`, which deletes and reinstalls every package (and the
    marker with them, so `make test` installed them all again after a wheel build), has
    nothing to add."""
    marker, lock = web / "node_modules" / ".installed", web / "package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= lock.stat().st_mtime
