"""The `infrasync` command line (SPEC §2).

Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input, always with one clear
line on stderr and never a traceback for a user mistake.

Starting is kept cheap (bench/cli_start.py): this module imports only typer, and each
command imports what it uses (the database, the app, the settings' pydantic) when it
runs. `--help` and usage mistakes load none of it; a local digest no web framework, ORM
or LLM SDK. tests/test_import_graph.py checks both.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

# Typer ships its own copy of click; its exceptions are not re-exported, and we need them
# to print usage mistakes as one line (typer's default is a framed, multi-line box).
from typer._click import Context
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup, TyperOption

from infrasync.config_errors import SettingsError, SettingsSourceError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.ext.asyncio import AsyncSession

    from infrasync.config import Settings

T = TypeVar("T")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXIT_RUNTIME_FAILURE = 1
EXIT_BAD_INPUT = 2


@functools.cache
def stderr() -> Console:
    """Where messages go. Made on first use: rich costs tens of milliseconds to import,
    which `--help` should not pay."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


class _Group(TyperGroup):
    """A group whose own `--help`, when not given, is False rather than None. Typer
    coerces every parameter value that is not already a bool with pydantic, so a None
    here made `infrasync serve --help` import pydantic (tens of milliseconds) just to
    read the group's unused flag."""

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


# rich_markup_mode=None: plain Click help. Typer's rich help imports rich's markdown and
# traceback machinery (about a quarter of a second on a busy machine) for every `--help`.
app = typer.Typer(
    name="infrasync",
    help="Infrasync: digests of your GitHub repositories' activity, on your team's schedule.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=_Group,
)
admin_app = typer.Typer(
    help="Operator commands.", no_args_is_help=True, rich_markup_mode=None, cls=_Group
)
app.add_typer(admin_app, name="admin")


def _logs_to_stderr() -> None:
    """Called first by every command. Before it does anything, log lines go to stderr:
    unconfigured, structlog prints every debug line to stdout, in the way of a digest or
    a link. Warnings only, as a command says what it did in its own words; `serve` and
    `digest` configure their own level and format from settings.

    Not a group callback: that runs before a subcommand parses its `--help`, and
    structlog (with the rich it loads) costs every `infrasync COMMAND --help` a tenth of
    a second.
    """
    from infrasync.observability.logging import configure_logging

    configure_logging("console", logging.WARNING)


class CliFailure(Exception):
    """Ends the command with one line on stderr and the given exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_RUNTIME_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _settings() -> Settings:
    from infrasync.config import load_settings

    return load_settings()


def _in_database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `work` in one transaction against the configured database, then commits."""
    import asyncio

    from infrasync.db import create_engine_for, session_factory

    async def run() -> T:
        engine = create_engine_for(settings.effective_database_url)
        try:
            async with session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _login_link_url(settings: Settings, email: str | None, *, demo: bool = False) -> str:
    from pathlib import Path

    from infrasync.auth import service as auth_service
    from infrasync.monitors.demo import ensure_demo

    async def create(session: AsyncSession) -> str:
        user = await auth_service.user_for_login_link(session, email)
        if demo:
            made = await ensure_demo(session, settings, user, Path.cwd())
            if made:
                stderr().print(f"infrasync: {made}")
        return await auth_service.create_login_link(session, user)

    token = _in_database(settings, create)
    return f"{settings.public_url}/auth/link/{token}"


def _served_settings(settings: Settings, host: str, port: int) -> Settings:
    """Links and redirects must name the address actually served unless the operator
    said otherwise (`--port 9000` with no INFRASYNC_PUBLIC_URL)."""
    if "public_url" in settings.model_fields_set:
        return settings
    # Compares, binds nothing: an all-interfaces bind is shown as a loopback address.
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return settings.model_copy(update={"public_url": f"http://{shown_host}:{port}"})


def _migrate(settings: Settings) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from infrasync.db import upgrade_to_head
    from infrasync.kit.urls import redacted

    try:
        upgrade_to_head(settings.effective_database_url)
    except SQLAlchemyError as error:
        # The driver's own message ("connection refused") says more than SQLAlchemy's wrapper.
        cause = getattr(error, "orig", None) or error
        reason = str(cause).splitlines()[0]
        raise CliFailure(
            f"cannot migrate {redacted(settings.effective_database_url)}: {reason}"
        ) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve HTTP only; run `infrasync worker` apart.")
    ] = False,
) -> None:
    """Serve the API and the web app (and, unless --no-worker, the worker)."""
    _logs_to_stderr()
    import uvicorn

    from infrasync.app import create_app
    from infrasync.kit import served_address
    from infrasync.observability.logging import configure_logging

    settings = _served_settings(_settings(), host, port)
    configure_logging(settings.effective_log_format)
    _migrate(settings)
    if not settings.github_sign_in_enabled:
        # As Jupyter prints its token: with no GitHub app there is no other way in.
        url = _login_link_url(settings, None, demo=True)
        stderr().print(
            "No GitHub app is configured (INFRASYNC_GITHUB_CLIENT_ID/SECRET). Sign in as "
            f"the first admin with this one-time link (expires in 15 minutes):\n  {url}"
        )
    if not no_worker:
        stderr().print("infrasync: the in-process worker schedules and delivers digests.")
    stderr().print(f"Infrasync is serving on http://{host}:{port} (web app and API at /docs)")
    served_address.record(settings.data_dir, settings.public_url)
    try:
        uvicorn.run(
            create_app(settings, worker=not no_worker),
            host=host,
            port=port,
            log_config=None,
            # Only INFRASYNC_TRUSTED_PROXIES may name the client, never uvicorn's default
            # (127.0.0.1, or FORWARDED_ALLOW_IPS): else any local process picks its own
            # address.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies),
            server_header=False,
        )
    finally:
        served_address.forget(settings.data_dir)


def _schema_is_current(settings: Settings) -> None:
    """Workers never migrate (many may start at once against one Postgres): the schema
    must be current, from `infrasync migrate` or `serve`."""
    from sqlalchemy.exc import SQLAlchemyError

    from infrasync.db import current_revisions, head_revisions, sync_engine_for
    from infrasync.kit.urls import redacted

    engine = sync_engine_for(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            current = current_revisions(connection)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise CliFailure(
            f"cannot reach {redacted(settings.effective_database_url)}: "
            f"{str(cause).splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    if current != head_revisions():
        raise CliFailure(
            "The database schema is not current: run `infrasync migrate` first.", EXIT_BAD_INPUT
        )


def _work(settings: Settings, *, once: bool, max_seconds: float | None, concurrency: int) -> str:
    import asyncio
    import signal

    from infrasync.db import create_engine_for, pool_size_for, session_factory
    from infrasync.scheduler.worker import Worker, WorkerOptions

    async def run() -> str:
        engine = create_engine_for(
            settings.effective_database_url,
            pool_size=pool_size_for(settings.database_pool_size, concurrency=concurrency),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        worker = Worker(settings, session_factory(engine), WorkerOptions(concurrency=concurrency))
        started = loop.time()
        try:
            stats = await worker.run(stop, once=once, max_seconds=max_seconds)
        finally:
            await engine.dispose()
        delivered = sum(
            n for (_, outcome), n in stats.deliveries.outcomes.items() if outcome == "delivered"
        )
        return (
            f"queued {stats.periods_queued} period(s), made {stats.digests_made} digest(s), "
            f"{stats.runs_failed} failed; {delivered} delivery(ies) delivered, "
            f"{stats.deliveries.retries} to retry; in {loop.time() - started:.1f} s"
        )

    return asyncio.run(run())


Concurrency = Annotated[
    int, typer.Option(min=1, max=500, help="Digests and deliveries worked at once.")
]


@app.command()
def worker(concurrency: Concurrency = 32) -> None:
    """Run scheduling and delivery only; any number may share one Postgres. Stops on
    SIGTERM after finishing (or handing back) what it holds."""
    _logs_to_stderr()
    from infrasync.observability.logging import configure_logging

    settings = _settings()
    configure_logging(settings.effective_log_format)
    _schema_is_current(settings)
    stderr().print("infrasync: the worker is running (Ctrl-C or SIGTERM stops it).")
    summary = _work(settings, once=False, max_seconds=None, concurrency=concurrency)
    stderr().print(f"infrasync: worker stopped: {summary}.")


@app.command()
def tick(
    max_seconds: Annotated[
        float,
        typer.Option(min=1, help="Stop claiming and hand back unfinished work after this."),
    ] = 600,
    concurrency: Concurrency = 32,
) -> None:
    """Run one scheduling pass, then exit (for cron or AWS Lambda): queue what is due,
    make the digests, send the deliveries, and stop when nothing is left or the time
    is up."""
    _logs_to_stderr()
    from infrasync.observability.logging import configure_logging

    settings = _settings()
    configure_logging(settings.effective_log_format)
    _schema_is_current(settings)
    summary = _work(settings, once=True, max_seconds=max_seconds, concurrency=concurrency)
    stderr().print(f"infrasync: tick: {summary}.")


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest version."""
    from infrasync.kit.urls import redacted

    _logs_to_stderr()
    settings = _settings()
    _migrate(settings)
    stderr().print(f"Database {redacted(settings.effective_database_url)} is up to date.")


DIGEST_FORMATS = ("markdown", "json", "slack")
DIGEST_WRITERS = ("auto", "builtin", "llm")


@app.command()
def digest(
    source: Annotated[
        str, typer.Argument(help="owner/repo on GitHub, or a path to a local git repository.")
    ],
    since: Annotated[str, typer.Option(help="Window start: 7d, 24h, 2w or a date.")] = "7d",
    until: Annotated[str | None, typer.Option(help="Window end (a date); default now.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="markdown, json or slack.")
    ] = "markdown",
    writer: Annotated[str, typer.Option(help="auto, builtin or llm.")] = "auto",
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log debug lines (to stderr).")
    ] = False,
) -> None:
    """Print one digest to stdout; progress and logs go to stderr."""
    from infrasync.observability.stderr import plain_logs_to_stderr

    plain_logs_to_stderr(logging.WARNING)
    from infrasync.digests.cli import DigestFailed, make_digest, needs_structured_logs

    if output_format not in DIGEST_FORMATS:
        raise CliFailure(f"--format must be one of {', '.join(DIGEST_FORMATS)}.", EXIT_BAD_INPUT)
    if writer not in DIGEST_WRITERS:
        raise CliFailure(f"--writer must be one of {', '.join(DIGEST_WRITERS)}.", EXIT_BAD_INPUT)
    settings = _settings()
    level = logging.DEBUG if verbose else logging.INFO
    if needs_structured_logs(settings, source, writer):
        from infrasync.observability.logging import configure_logging

        configure_logging(settings.effective_log_format, level)
    else:
        plain_logs_to_stderr(level)
    try:
        output = make_digest(settings, source, since, until, output_format, writer, stderr())
    except ValueError as error:
        raise CliFailure(str(error), EXIT_BAD_INPUT) from None
    except DigestFailed as error:
        raise CliFailure(str(error)) from None
    typer.echo(output)


@admin_app.command("login-link")
def login_link(
    email: Annotated[str | None, typer.Option(help="Email of the user to sign in as.")] = None,
) -> None:
    """Print a one-time sign-in link (expires in 15 minutes, single use)."""
    _logs_to_stderr()
    if email is not None and not _EMAIL.match(email):
        raise CliFailure(f"{email!r} is not an email address.", EXIT_BAD_INPUT)
    settings = _link_settings(_settings())
    _migrate(settings)
    typer.echo(_login_link_url(settings, email))


def _link_settings(settings: Settings) -> Settings:
    """INFRASYNC_PUBLIC_URL, else where a `serve` running from this directory listens;
    if neither is known, the link names the default and a line says what to set."""
    from infrasync.kit import served_address

    if "public_url" in settings.model_fields_set:
        return settings
    if running := served_address.running_server_url(settings.data_dir):
        return settings.model_copy(update={"public_url": running})
    stderr().print(
        f"infrasync: no server is running from this directory, so this link assumes "
        f"{settings.public_url}; if `infrasync serve` listens elsewhere, set "
        "INFRASYNC_PUBLIC_URL to its address."
    )
    return settings


@admin_app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be purged; change nothing.")
    ] = False,
) -> None:
    """Delete for good what was soft-deleted more than the retention period ago
    (INFRASYNC_RETENTION_DAYS), and digests older than their org's plan keeps. The
    worker does the same once a day."""
    _logs_to_stderr()
    from infrasync.compliance.service import PurgeReport
    from infrasync.compliance.service import purge as purge_deleted
    from infrasync.kit.time import utcnow
    from infrasync.observability.logging import configure_logging

    settings = _settings()
    configure_logging(settings.effective_log_format)
    _migrate(settings)

    async def work(session: AsyncSession) -> PurgeReport:
        return await purge_deleted(session, settings, utcnow(), dry_run=dry_run)

    report = _in_database(settings, work)
    typer.echo(f"infrasync: {report.summary()}.")


@admin_app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt stored secrets under the first key of INFRASYNC_ENCRYPTION_KEYS."""
    _logs_to_stderr()
    from infrasync.delivery.service import reseal_secrets
    from infrasync.github.credentials import rotate_encryption
    from infrasync.kit.crypto import DecryptionFailed, SecretBox

    settings = _settings()
    _migrate(settings)
    box = SecretBox.from_keys(settings.fernet_keys)

    async def rotate(session: AsyncSession) -> int:
        # GitHub tokens, then channel URLs and signing secrets: one transaction, so a
        # key that opens none of them leaves everything as it was.
        return await rotate_encryption(session, box) + await reseal_secrets(session, box)

    try:
        count = _in_database(settings, rotate)
    except DecryptionFailed as error:
        raise CliFailure(str(error)) from None
    stderr().print(f"Re-encrypted {count} stored secret(s) under the first encryption key.")


def main() -> None:
    try:
        # standalone_mode=False: usage errors come back to us, so they print as one line
        # rather than as a framed box.
        exit_code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        # `infrasync admin` alone: show what the group offers, as --help would (typer's
        # rich formatter prints it itself and returns "").
        if error.ctx is not None and (text := error.ctx.get_help()):
            typer.echo(text)
        sys.exit(EXIT_BAD_INPUT)
    except UsageError as error:
        hint = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        stderr().print(f"infrasync: {error.format_message()}{hint}")
        sys.exit(EXIT_BAD_INPUT)
    except ClickException as error:
        stderr().print(f"infrasync: {error.format_message()}")
        sys.exit(error.exit_code)
    except typer.Abort:
        sys.exit(130)
    except SettingsError as error:
        for problem in error.problems:
            stderr().print(f"infrasync: {problem}")
        stderr().print("infrasync: refusing to start until these settings are fixed.")
        sys.exit(EXIT_BAD_INPUT)
    except SettingsSourceError as error:
        stderr().print(f"infrasync: {error}")
        sys.exit(EXIT_RUNTIME_FAILURE)
    except CliFailure as failure:
        stderr().print(f"infrasync: {failure}")
        sys.exit(failure.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
