"""Where `infrasync serve` listens, recorded for the commands run beside it.

`infrasync admin login-link` prints a link a browser must be able to open: without
INFRASYNC_PUBLIC_URL it would name the default port, and a server started with
`--port 9000` refuses nothing but is simply not there. `serve` writes the address it
serves at into the data directory (`./.infrasync/served.json`) with its process id, and a
link made while that process lives names it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE_NAME = "served.json"


def record(data_dir: Path, url: str) -> None:
    """Best effort: a read-only data directory only costs the link its port."""
    with contextlib.suppress(OSError):
        data_dir.mkdir(parents=True, exist_ok=True)
        scratch = data_dir / f".{FILE_NAME}.{os.getpid()}"
        scratch.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
        scratch.replace(data_dir / FILE_NAME)  # whole or not at all, for a reader


def forget(data_dir: Path) -> None:
    """On a stop that returns (Ctrl-C), if the record is still this process's own. A
    SIGTERM ends the process from inside uvicorn, which re-raises it once shut down:
    its record stays, and is not read, its process being gone."""
    if _recorded(data_dir)[1] == os.getpid():
        with contextlib.suppress(OSError):
            (data_dir / FILE_NAME).unlink()


def running_server_url(data_dir: Path) -> str | None:
    """The address a live `serve` recorded, or None (none recorded, or it has stopped)."""
    url, pid = _recorded(data_dir)
    if url is None or pid is None or not _alive(pid):
        return None
    return url


def _recorded(data_dir: Path) -> tuple[str | None, int | None]:
    try:
        found = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(found, dict):
        return None, None
    url, pid = found.get("url"), found.get("pid")
    return (
        url if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
        pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
