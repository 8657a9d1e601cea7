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


class ServerProcess:
    """An `infrasync serve` started at once on a free port; it answers once
    `wait_until_healthy` returns. Starting it ahead of need lets it boot while another
    test runs."""

    def __init__(self, cwd: Path, *extra: str, **variables: str) -> None:
        port = free_port()
        self.cwd = cwd
        self.base_url = f"http://127.0.0.1:{port}"
        with (cwd / "serve.log").open("w", encoding="utf-8") as log:
            # The child holds its own copy of the log's descriptor.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infrasync", "serve", "--port", str(port), *extra],
                cwd=cwd,
                env=cli_environment(**variables),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def wait_until_healthy(self) -> str:
        _wait_until_healthy(self.process, self.base_url, self.cwd)
        return self.base_url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def live_server(cwd: Path, *extra: str, **variables: str) -> Iterator[str]:
    server = ServerProcess(cwd, *extra, **variables)
    try:
        yield server.wait_until_healthy()
    finally:
        server.stop()


def _wait_until_healthy(process: subprocess.Popen[str], base_url: str, cwd: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    # One client for every poll: `httpx.get` makes a client, and its TLS context, each
    # time, ~20 ms of CPU that a booting server on a busy machine waits for.
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = server_output(cwd)
                raise RuntimeError(f"infrasync serve exited with {process.returncode}:\n{output}")
            try:
                if client.get(f"{base_url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"infrasync serve did not answer /health within {STARTUP_TIMEOUT_S}s")
