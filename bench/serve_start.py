"""How long `infrasync serve` takes from start to its first 200 on /health, against a
bare FastAPI app on the same uvicorn.

    .venv/bin/python -m bench.serve_start
    .venv/bin/python -m bench.serve_start --runs 9

Each run starts the server as a new process and polls /health every 10 ms until it
answers 200; the figure is the median over the runs. The product serves a migrated
SQLite database (migrated once before the runs, as a restart finds it) with its
in-process worker off. Target: at most 1.5x the bare app's time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.api import BARE_APP, free_port, wait_until_healthy
from bench.arguments import parser_from_docstring
from infrasync.db import upgrade_to_head
from infrasync.kit.urls import normalize_database_url

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.5


def say(message: str) -> None:
    print(f"serve_start: {message}", file=sys.stderr, flush=True)


def seconds_to_first_200(command: list[str], port: int, env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(process, base, poll_seconds=0.01, within_seconds=120)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def product_command(port: int) -> list[str]:
    return [sys.executable, "-m", "infrasync", "serve", "--no-worker", "--port", str(port)]


def main() -> None:
    parser = parser_from_docstring("python -m bench.serve_start", __doc__)
    parser.add_argument("--runs", type=int, default=5, help="starts of each server (5)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        database_url = normalize_database_url(f"sqlite:///{scratch / 'serve.db'}")
        upgrade_to_head(database_url)
        product_env = {k: v for k, v in os.environ.items() if not k.startswith("INFRASYNC_")}
        product_env.update(
            PYTHONPATH=str(REPOSITORY_ROOT),
            INFRASYNC_DATABASE_URL=database_url,
            INFRASYNC_SECRET_KEY="bench-" + "s" * 40,
        )
        bare_script = scratch / "bare_app.py"
        bare_script.write_text(BARE_APP)
        bare_times, product_times = [], []
        for run in range(arguments.runs):
            say(f"run {run + 1} of {arguments.runs}")
            port = free_port()
            bare_times.append(
                seconds_to_first_200(
                    [sys.executable, str(bare_script), str(port)], port, dict(os.environ), scratch
                )
            )
            port = free_port()
            product_times.append(
                seconds_to_first_200(product_command(port), port, product_env, scratch)
            )
    bare, product = statistics.median(bare_times), statistics.median(product_times)
    ratio = product / bare
    met = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"serve to its first 200 on /health: median {product:.2f} s; bare FastAPI app "
        f"{bare:.2f} s; {ratio:.1f}x (target <= {TARGET_RATIO}x: {met}) over "
        f"{arguments.runs} runs [load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
        "cores]"
    )


if __name__ == "__main__":
    main()
