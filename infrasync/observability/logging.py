"""structlog for every log line: readable in development, JSON in production.

Standard-library loggers (uvicorn, alembic, sqlalchemy) are routed through the same
processors, so their lines carry the request id too.

Tracebacks are rendered without local variables in every format: locals hold tokens,
cookies, CSRF values and emails (SPEC §6), and rendering every local of every frame
inside the event loop stalled the whole server for seconds per error.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog
from structlog.types import Processor

from infrasync.observability.stderr import StderrHandler


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _final_processors(log_format: Literal["console", "json"]) -> list[Processor]:
    if log_format == "json":
        # The standard library's traceback: frames and source lines, never locals (not
        # `dict_tracebacks`, whose default shows them).
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    # ConsoleRenderer's default, with `rich` installed, prints every local of every frame.
    return [
        structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    ]


def configure_logging(log_format: Literal["console", "json"], level: int = logging.INFO) -> None:
    """Every log line, ours and the standard library's, goes to stderr: stdout belongs to
    what a command prints (a digest, a link)."""
    final = _final_processors(log_format)

    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our own middleware logs each request once, with its id; uvicorn's access log would
    # repeat it without one.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request's full URL at INFO, and a Slack or Discord webhook URL is
    # its own credential: only its warnings reach the log (our delivery lines name
    # channel ids instead).
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
