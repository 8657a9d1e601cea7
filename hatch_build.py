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
        subprocess.run([npm, "run", "build"], cwd=web, check=True)


def _installed_from_lock(web: Path) -> bool:
    """Whether `make` installed web/node_modules from the current package-lock.json (its
    marker is newer): then `npm ci`, which deletes and reinstalls every package (and the
    marker with them, so `make test` installed them all again after a wheel build), has
    nothing to add."""
    marker, lock = web / "node_modules" / ".installed", web / "package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= lock.stat().st_mtime
