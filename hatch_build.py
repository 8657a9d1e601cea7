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
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
        subprocess.run([npm, "run", "build"], cwd=web, check=True)
