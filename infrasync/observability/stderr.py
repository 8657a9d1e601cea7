"""Log lines to stderr with the standard library alone.

`infrasync digest` of a local repository with the builtin writer logs nothing through
structlog, and structlog (with the rich tracebacks and pretty-printer it loads when rich
is installed) is a tenth of a second or more of that command's start: such a command
routes the standard library's records to stderr here instead, and `logging.py` does the
full configuration for everything else.
"""

from __future__ import annotations

import logging
import sys


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is now, not what it was at configuration time
    (test runners and daemonizers swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def plain_logs_to_stderr(level: int) -> None:
    """Every standard-library record at `level` or above to stderr, one plain line each
    (stdout belongs to what the command prints)."""
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
