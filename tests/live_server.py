"""Runs `infrasync serve` as a real process on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli_environment(**variables: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INFRASYNC_")}
    environment.update(variables)
    return environment


def run_cli(*args: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infrasync", *args],
        cwd=cwd,
        env=cli_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def server_output(cwd: Path) -> str:
    """What `live_server` in `cwd` has printed so far (stdout and stderr)."""
    return (cwd / "serve.log").read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(cwd: Path, *extra: str, **variables: str) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with (cwd / "serve.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infrasync", "serve", "--port", str(port), *extra],
            cwd=cwd,
            env=cli_environment(**variables),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_healthy(process, base_url, cwd)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(process: subprocess.Popen[str], base_url: str, cwd: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = server_output(cwd)
            raise RuntimeError(f"infrasync serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"infrasync serve did not answer /health within {STARTUP_TIMEOUT_S}s")
