"""Infrasync: keeps engineering teams in sync with their GitHub repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata on first use: importlib.metadata
    # costs every command, `--help` included, tens of milliseconds, and only the app, the
    # health check and the GitHub client's User-Agent need the version.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("infrasync")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
