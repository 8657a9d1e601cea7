"""Both deployment shapes synthesised once per run (jsii starts Node for aws-cdk-lib,
the slow part): ECS workers with RDS, and the Lambda tick with an external database and
one shared domain. Each test reads the templates; test_cfn_lint lints the same files."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aws_cdk as cdk
from app import build
from aws_cdk.assertions import Template
from infrasync_aws.config import DeployConfig

DOMAIN = "example.com"


@dataclass(frozen=True)
class Synthesised:
    config: DeployConfig
    web: Template
    service: Template
    directory: Path


def _synth(directory: Path, **fields: object) -> Synthesised:
    config = DeployConfig(
        domain=DOMAIN,
        hosted_zone_id="Z0123456789EXAMPLE",
        image_tag="3f9a0c1d2e4b",
        **fields,  # type: ignore[arg-type]
    ).check()
    app = cdk.App(outdir=str(directory))
    web, service = build(app, config)
    assembly = app.synth()
    return Synthesised(
        config,
        Template.from_json(assembly.get_stack_by_name(web.stack_name).template),
        Template.from_json(assembly.get_stack_by_name(service.stack_name).template),
        directory,
    )


@pytest.fixture(scope="session")
def ecs_workers(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return _synth(tmp_path_factory.mktemp("ecs-workers"), workers="service", database="rds")


@pytest.fixture(scope="session")
def lambda_tick(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return _synth(
        tmp_path_factory.mktemp("lambda-tick"),
        workers="lambda",
        database="external",
        shared_domain=True,
    )


@pytest.fixture(scope="session", params=["ecs_workers", "lambda_tick"])
def deployment(request: pytest.FixtureRequest) -> Synthesised:
    synthesised: Synthesised = request.getfixturevalue(request.param)
    return synthesised
