"""How long the command line takes to start: `infrasync --help` and a local digest, each
a whole process, against `python -c pass` measured in the same run.

    .venv/bin/python -m bench.cli_start                  # a generated repository
    .venv/bin/python -m bench.cli_start ~/src/requests   # a real one
    .venv/bin/python -m bench.cli_start --runs 31

The three commands run in turn, `--runs` times each (after one warm-up run each, which
also writes the development secrets), so a busy machine slows them alike; each line
gives a command's median wall time and its ratio to `python -c pass`. Every process gets
a minimal environment (PATH, a scratch HOME and working directory, no INFRASYNC_*) and
its stdout goes to /dev/null. Without a REPOSITORY, one of 30 commits by 3 authors over
the last 5 days is built in a temporary directory. Targets: `infrasync --help` at most
10x `python -c pass`; `infrasync digest REPOSITORY --since 7d` at most 15x, and at most
400 ms on an idle machine (each line gives the load average to judge by).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.arguments import parser_from_docstring

HELP_TARGET_RATIO = 10.0
DIGEST_TARGET_RATIO = 15.0
DIGEST_TARGET_SECONDS = 0.400
AUTHORS = ("Ada <ada@example.com>", "Bob <bob@example.com>", "Cy <cy@example.com>")


def say(message: str) -> None:
    print(f"cli_start: {message}", file=sys.stderr, flush=True)


def infrasync_command() -> list[str]:
    """The console script users run, next to this interpreter; `-m infrasync` (which
    also loads runpy) only where it was not installed."""
    script = Path(sys.executable).parent / "infrasync"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "infrasync"]


def git(repo: Path, *args: str, environment: dict[str, str]) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=environment, check=True)


def build_repository(repo: Path) -> None:
    """30 commits by 3 authors, spread over the last 5 days (inside a 7-day window)."""
    repo.mkdir()
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(repo.parent)}
    git(repo, "init", "-q", "-b", "main", environment=base)
    now = datetime.now(UTC)
    for number in range(30):
        name, email = AUTHORS[number % len(AUTHORS)].rstrip(">").split(" <")
        when = (now - timedelta(hours=4 * (30 - number))).isoformat()
        environment = {
            **base,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
        }
        (repo / f"file{number % 7}.txt").write_text(f"change {number}\n", encoding="utf-8")
        git(repo, "add", ".", environment=environment)
        git(repo, "commit", "-q", "-m", f"Change {number}", environment=environment)


def wall_time(command: Sequence[str], cwd: Path, environment: dict[str, str]) -> float:
    """Seconds from start to exit of one process; its failure ends the bench."""
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"cli_start: {' '.join(command)} exited {done.returncode}:\n"
            + done.stderr.decode(errors="replace")
        )
    return elapsed


def measure(
    commands: dict[str, list[str]], runs: int, cwd: Path, environment: dict[str, str]
) -> dict[str, float]:
    """The median wall time of each command, run in turn so that load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm-up: .pyc files, development secrets
        wall_time(command, cwd, environment)
    for run in range(runs):
        say(f"run {run + 1}/{runs}")
        for name, command in commands.items():
            times[name].append(wall_time(command, cwd, environment))
    return {name: statistics.median(values) for name, values in times.items()}


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(medians: dict[str, float], runs: int) -> list[str]:
    load = os.getloadavg()[0]
    machine = f"[{runs} runs; load average {load:.1f} on {os.cpu_count()} cores]"
    base = medians["python -c pass"]
    help_ratio = medians["infrasync --help"] / base
    digest = medians["infrasync digest"]
    digest_ratio = digest / base
    return [
        f"python -c pass: median {base * 1000:.1f} ms {machine}",
        f"infrasync --help: median {medians['infrasync --help'] * 1000:.1f} ms, "
        f"{help_ratio:.1f}x python -c pass (target <= {HELP_TARGET_RATIO:.0f}x: "
        f"{verdict(help_ratio <= HELP_TARGET_RATIO)}) {machine}",
        f"infrasync digest --since 7d: median {digest * 1000:.1f} ms, "
        f"{digest_ratio:.1f}x python -c pass (target <= {DIGEST_TARGET_RATIO:.0f}x: "
        f"{verdict(digest_ratio <= DIGEST_TARGET_RATIO)}; <= "
        f"{DIGEST_TARGET_SECONDS * 1000:.0f} ms idle: "
        f"{verdict(digest <= DIGEST_TARGET_SECONDS)}) {machine}",
    ]


def main() -> None:
    parser = parser_from_docstring("python -m bench.cli_start", __doc__)
    parser.add_argument("repository", nargs="?", type=Path, help="a local git repository to digest")
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (default 21)")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        repository = arguments.repository
        if repository is None:
            say("building a repository of 30 commits")
            repository = scratch / "repository"
            build_repository(repository)
        work = scratch / "work"
        work.mkdir()
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(scratch),
            "LANG": "C.UTF-8",
        }
        infrasync = infrasync_command()
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "infrasync --help": [*infrasync, "--help"],
            "infrasync digest": [
                *infrasync,
                "digest",
                str(repository.expanduser().resolve()),
                "--since",
                "7d",
            ],
        }
        say(f"measuring {' '.join(infrasync)} in {work}")
        medians = measure(commands, arguments.runs, work, environment)
    for line in report(medians, arguments.runs):
        print(line)


if __name__ == "__main__":
    main()
