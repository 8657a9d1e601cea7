"""Settings, read from `INFRASYNC_*` environment variables and a `.env` file (SPEC §3).

Development works with no configuration at all: the SQLite database, the session-signing
key and the encryption keys live under `./.infrasync/`. Production refuses to start until
every secret is given and every public address is https.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from infrasync.config_errors import SettingsError as SettingsError
from infrasync.config_errors import SettingsSourceError as SettingsSourceError
from infrasync.kit.urls import normalize_database_url

DATA_DIR_NAME = ".infrasync"
SECRET_KEY_MIN_LENGTH = 32


def _blank_to_none(value: object) -> object:
    # `INFRASYNC_SECRET_KEY=` in a .env file means "not set", not "the empty string".
    return None if isinstance(value, str) and not value.strip() else value


def _strip_slash(value: object) -> object:
    value = _blank_to_none(value)
    return value.rstrip("/") if isinstance(value, str) else value


def _require_http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// address, got {value!r}")
    return value


def _require_database_url(value: str | None) -> str | None:
    if value is not None:
        normalize_database_url(value)  # raises ValueError saying what is wrong
    return value


OptionalStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_to_none)]
BaseUrl = Annotated[str, BeforeValidator(_strip_slash), AfterValidator(_require_http_url)]
OptionalBaseUrl = Annotated[
    str | None, BeforeValidator(_strip_slash), AfterValidator(_require_http_url)
]
DatabaseUrl = Annotated[
    str | None, BeforeValidator(_blank_to_none), AfterValidator(_require_database_url)
]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _canonical_proxies(values: tuple[str, ...]) -> tuple[str, ...]:
    """Each address or CIDR network in the form uvicorn matches: it would silently take
    `10.0.0.1/8` (host bits set) or a typo as a name that no peer ever has."""
    canonical: list[str] = []
    for value in values:
        try:
            if "/" in value:
                canonical.append(str(ipaddress.ip_network(value, strict=False)))
            else:
                canonical.append(str(ipaddress.ip_address(value)))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an IP address or a CIDR network (such as 10.0.0.0/8)"
            ) from None
    return tuple(canonical)


# NoDecode: the environment gives `10.0.0.1, 10.1.0.0/16`, not a JSON list.
ProxyAddresses = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(_split_commas), AfterValidator(_canonical_proxies)
]


def _absolute_directories(values: tuple[Path, ...]) -> tuple[Path, ...]:
    # A relative root would mean a different directory for each working directory the
    # server is started in.
    for value in values:
        if not value.is_absolute():
            raise ValueError(f"{str(value)!r} is not an absolute path")
    return values


# NoDecode: the environment gives `/srv/git, /home/ci/repos`, not a JSON list.
Directories = Annotated[
    tuple[Path, ...],
    NoDecode,
    BeforeValidator(_split_commas),
    AfterValidator(_absolute_directories),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFRASYNC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    environment: Literal["development", "production"] = "development"
    database_url: DatabaseUrl = None
    secret_key: OptionalSecret = None
    encryption_keys: OptionalSecret = None
    public_url: BaseUrl = "http://127.0.0.1:8000"
    frontend_url: OptionalBaseUrl = None

    github_url: BaseUrl = "https://github.com"
    github_api_url: BaseUrl = "https://api.github.com"
    github_graphql_url: OptionalBaseUrl = None
    github_client_id: OptionalStr = None
    github_client_secret: OptionalSecret = None
    github_token: OptionalSecret = None

    llm_base_url: OptionalBaseUrl = None
    llm_api_key: OptionalSecret = None
    llm_model: OptionalStr = None

    smtp_url: OptionalSecret = None
    email_from: OptionalStr = None
    # A CA bundle to trust for the SMTP server's certificate (a self-hosted relay with a
    # private CA, and the tests' aiosmtpd); unset, the system's trust store.
    smtp_ca_file: Path | None = None
    # Channel URLs may reach loopback, private and link-local addresses (tests, and
    # receivers on the operator's own network). Off, every connection is checked.
    allow_private_webhooks: bool = False
    # How long one post to a Slack, Discord or webhook receiver may take, all phases
    # together (a receiver dripping bytes included); then it is a transient failure,
    # retried later. Tests make it short to provoke timeouts.
    delivery_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    billing_mode: Literal["self_hosted", "saas"] = "self_hosted"
    stripe_secret_key: OptionalSecret = None
    stripe_webhook_secret: OptionalSecret = None
    stripe_price_pro: OptionalStr = None
    stripe_api_base: BaseUrl = "https://api.stripe.com"

    metrics_token: OptionalSecret = None
    # Peers whose X-Forwarded-For names the client (rate limits, the audit log). None by
    # default: otherwise any local process could claim any address.
    trusted_proxies: ProxyAddresses = ()
    retention_days: int = Field(default=30, ge=1)
    # Connections each process keeps in its pool (a burst may open 5 more); a worker
    # keeps at least its concurrency plus two (db.pool_size_for).
    database_pool_size: int = Field(default=10, ge=1, le=500)
    log_format: Literal["console", "json"] | None = None
    ssm_prefix: OptionalStr = None
    # The directories under which monitors may read local git repositories on the
    # server's disk (sources/service.py confines them). None by default.
    local_source_roots: Directories = ()

    # Derived values. Everything else reads these rather than re-deriving them.

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def github_sign_in_enabled(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret)

    @property
    def data_dir(self) -> Path:
        return Path.cwd() / DATA_DIR_NAME

    @property
    def effective_frontend_url(self) -> str:
        return self.frontend_url or self.public_url

    @property
    def llm_configured(self) -> bool:
        """Whether an AI writer is configured (the `auto` writer then asks it)."""
        return bool(self.llm_base_url and self.llm_model)

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_production else "console"

    @property
    def effective_github_graphql_url(self) -> str:
        if self.github_graphql_url:
            return self.github_graphql_url
        api = self.github_api_url
        # GitHub Enterprise Server serves REST at /api/v3 and GraphQL at /api/graphql.
        if api.endswith("/api/v3"):
            return api.removesuffix("/v3") + "/graphql"
        return api + "/graphql"

    @property
    def effective_database_url(self) -> str:
        raw = self.database_url or f"sqlite:///{self.data_dir / 'infrasync.db'}"
        return normalize_database_url(raw)

    @property
    def effective_secret_key(self) -> str:
        if self.secret_key is None:
            raise SettingsError(["INFRASYNC_SECRET_KEY is not set."])
        return self.secret_key.get_secret_value()

    @property
    def fernet_keys(self) -> list[str]:
        if self.encryption_keys is None:
            raise SettingsError(["INFRASYNC_ENCRYPTION_KEYS is not set."])
        raw = self.encryption_keys.get_secret_value()
        return [key.strip() for key in raw.split(",") if key.strip()]


def production_problems(settings: Settings) -> list[str]:
    """Every reason `settings` is unsafe for production, one sentence per setting."""
    problems: list[str] = []
    if settings.secret_key is None:
        problems.append(
            "INFRASYNC_SECRET_KEY is missing: set it to a random string of at least "
            f"{SECRET_KEY_MIN_LENGTH} characters."
        )
    elif len(settings.secret_key.get_secret_value()) < SECRET_KEY_MIN_LENGTH:
        problems.append(
            f"INFRASYNC_SECRET_KEY is too short: use at least {SECRET_KEY_MIN_LENGTH} "
            "random characters."
        )
    problems.extend(_encryption_key_problems(settings))
    public_url_given = "public_url" in settings.model_fields_set
    for name, value in (
        ("INFRASYNC_PUBLIC_URL", settings.public_url if public_url_given else None),
        ("INFRASYNC_FRONTEND_URL", settings.frontend_url),
    ):
        if value is None:
            problems.append(f"{name} is missing: set it to the https address users reach.")
        elif urlsplit(value).scheme != "https":
            problems.append(f"{name} must be an https:// address in production (got {value}).")
    return problems


def _encryption_key_problems(settings: Settings) -> list[str]:
    if settings.encryption_keys is None:
        return [
            "INFRASYNC_ENCRYPTION_KEYS is missing: set it to one or more comma-separated "
            "Fernet keys (make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ]
    keys = settings.fernet_keys
    if not keys:
        return ["INFRASYNC_ENCRYPTION_KEYS is empty: give at least one Fernet key."]
    from cryptography.fernet import Fernet

    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            return [
                f"INFRASYNC_ENCRYPTION_KEYS key #{position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ]
    return []


def _read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """Reads a generated development secret, creating it (mode 0600) the first time.
    `make` is called only then: cryptography, which makes the encryption key, costs
    every command tens of milliseconds to import."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    # Made before the file is: between its creation and the write, a process starting at
    # the same moment would read it empty.
    made = make()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(made + "\n")
    return made


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def with_development_secrets(settings: Settings) -> Settings:
    """Fills in the generated, file-kept secrets that development needs and nobody set."""
    updates: dict[str, object] = {}
    if settings.secret_key is None:
        key = _read_or_create_secret(
            settings.data_dir / "secret_key", lambda: secrets.token_urlsafe(48)
        )
        updates["secret_key"] = SecretStr(key)
    if settings.encryption_keys is None:
        keys = _read_or_create_secret(settings.data_dir / "encryption_keys", _new_fernet_key)
        updates["encryption_keys"] = SecretStr(keys)
    return settings.model_copy(update=updates) if updates else settings


def _setting_name_for(parameter_name: str, prefix: str) -> str | None:
    """`/infrasync/prod/SECRET_KEY` or `…/INFRASYNC_SECRET_KEY` → `secret_key`."""
    leaf = parameter_name.removeprefix(prefix.rstrip("/") + "/")
    field = leaf.upper().removeprefix("INFRASYNC_").lower()
    return field if field in Settings.model_fields and field != "ssm_prefix" else None


def ssm_parameters(prefix: str) -> dict[str, str]:
    """Every parameter directly under `prefix`, decrypted, keyed by setting name.

    boto3 finds credentials, region and (for tests) `AWS_ENDPOINT_URL_SSM` the usual way.
    """
    # Imported here: only SSM loading needs boto3, an optional extra (`infrasync[aws]`),
    # and it costs the CLI's start time.
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise SettingsSourceError(
            "INFRASYNC_SSM_PREFIX is set, but boto3 is not installed: install "
            "infrasync[aws] (pip install 'infrasync[aws]'), or unset INFRASYNC_SSM_PREFIX."
        ) from None

    values: dict[str, str] = {}
    unknown: list[str] = []
    try:
        pages = (
            boto3.client("ssm")
            .get_paginator("get_parameters_by_path")
            .paginate(Path=prefix, Recursive=False, WithDecryption=True)
        )
        for page in pages:
            for parameter in page.get("Parameters", []):
                name, value = parameter.get("Name", ""), parameter.get("Value", "")
                field = _setting_name_for(name, prefix)
                if field is None:
                    unknown.append(name)
                else:
                    values[field] = value
    except (BotoCoreError, ClientError) as error:
        raise SettingsSourceError(
            f"cannot read settings from AWS SSM under {prefix}: {error}"
        ) from None
    if unknown:
        raise SettingsError(
            [f"SSM parameter {name} does not name an Infrasync setting." for name in unknown]
        )
    return values


def _read(**values: object) -> Settings:
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_describe_validation_error(error)) from None


def _with_ssm_parameters(settings: Settings, overrides: dict[str, object]) -> Settings:
    """Adds SSM values for every setting the environment (or caller) left unset: an
    explicit environment variable wins, so an operator can override one value."""
    assert settings.ssm_prefix is not None
    remote = ssm_parameters(settings.ssm_prefix)
    unset = {k: v for k, v in remote.items() if k not in settings.model_fields_set}
    return _read(**unset, **overrides) if unset else settings


def load_settings(**overrides: object) -> Settings:
    """Reads, checks and completes the settings; raises SettingsError naming each problem."""
    settings = _read(**overrides)
    if settings.ssm_prefix:
        settings = _with_ssm_parameters(settings, overrides)
    if settings.is_production:
        problems = production_problems(settings)
        if problems:
            raise SettingsError(problems)
        return settings
    return with_development_secrets(settings)


def _describe_validation_error(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        field = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        name = f"INFRASYNC_{field}" if field != "settings" else field
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name} is invalid: {message}.")
    return lines
