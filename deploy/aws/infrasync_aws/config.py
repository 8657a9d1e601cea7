"""The deployment's inputs, from CDK context (`cdk deploy -c image_tag=<sha>` or
cdk.json): one typed place, checked before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import aws_cdk as cdk

# Secrets every deployment has; they live in SSM Parameter Store as SecureStrings under
# `ssm_prefix` (docs/deployment.md, "Secrets into SSM"), and reach tasks as ECS secrets.
REQUIRED_SECRETS = ("DATABASE_URL", "SECRET_KEY", "ENCRYPTION_KEYS")
GITHUB_SECRETS = ("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ConfigError(ValueError):
    """A context value that cannot deploy, with what to set instead."""


@dataclass(frozen=True)
class DeployConfig:
    domain: str  # app.<domain> serves the web app, api.<domain> the API
    hosted_zone_id: str
    image_tag: str  # the commit SHA: immutable, never `latest`
    account: str | None = None
    image_repository: str = "infrasync"
    ssm_prefix: str = "/infrasync/prod"
    database: str = "rds"  # rds, or external: DATABASE_URL in SSM names it (Supabase…)
    workers: str = "service"  # service (ECS, scaled on queue lag) or lambda (tick)
    shared_domain: bool = False  # the web app's domain also serves /api/* and /auth/*
    alarm_email: str = ""
    extra_secrets: tuple[str, ...] = field(default=GITHUB_SECRETS)
    api_min_tasks: int = 2
    api_max_tasks: int = 10
    worker_min_tasks: int = 1
    worker_max_tasks: int = 10
    tick_max_seconds: int = 270  # `tick --max-seconds`; the Lambda's timeout is above it

    @property
    def app_domain(self) -> str:
        return f"app.{self.domain}"

    @property
    def api_domain(self) -> str:
        return f"api.{self.domain}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return REQUIRED_SECRETS + tuple(s for s in self.extra_secrets if s not in REQUIRED_SECRETS)

    def check(self) -> DeployConfig:
        problems = []
        if not _DOMAIN.match(self.domain):
            problems.append(f"domain {self.domain!r} is not a DNS name such as example.com")
        if not _TAG.match(self.image_tag) or self.image_tag == "latest":
            problems.append(
                f"image_tag {self.image_tag!r}: give the image's commit SHA (never latest)"
            )
        if self.database not in ("rds", "external"):
            problems.append(f"database must be rds or external, not {self.database!r}")
        if self.workers not in ("service", "lambda"):
            problems.append(f"workers must be service or lambda, not {self.workers!r}")
        if not self.ssm_prefix.startswith("/") or self.ssm_prefix.endswith("/"):
            problems.append(f"ssm_prefix {self.ssm_prefix!r} must look like /infrasync/prod")
        if problems:
            raise ConfigError("; ".join(problems))
        return self


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def from_context(app: cdk.App, account: str | None = None) -> DeployConfig:
    def get(name: str, default: str = "") -> str:
        value = app.node.try_get_context(name)
        return default if value is None else str(value)

    extra = get("extra_secrets", ",".join(GITHUB_SECRETS))
    return DeployConfig(
        domain=get("domain"),
        hosted_zone_id=get("hosted_zone_id"),
        image_tag=get("image_tag"),
        account=account,
        image_repository=get("image_repository", "infrasync"),
        ssm_prefix=get("ssm_prefix", "/infrasync/prod"),
        database=get("database", "rds"),
        workers=get("workers", "service"),
        shared_domain=_flag(get("shared_domain", "false")),
        alarm_email=get("alarm_email"),
        extra_secrets=tuple(s.strip() for s in extra.split(",") if s.strip()),
    ).check()
