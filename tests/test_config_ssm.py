"""INFRASYNC_SSM_PREFIX: settings loaded from AWS SSM Parameter Store at start, tested
against moto's SSM server on 127.0.0.1 speaking the real AWS protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cryptography.fernet import Fernet
from moto.server import ThreadedMotoServer
from mypy_boto3_ssm import SSMClient

from infrasync.config import SettingsError, SettingsSourceError, load_settings
from tests.live_server import free_port, run_cli

PREFIX = "/infrasync/prod"
FERNET_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def ssm_endpoint() -> Iterator[str]:
    # Port 0: the OS picks a free port, so parallel test runs cannot collide.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def ssm(ssm_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SSMClient]:
    for name, value in {
        "AWS_ENDPOINT_URL_SSM": ssm_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("ssm")
    yield client
    names = [
        p["Name"]
        for page in client.get_paginator("describe_parameters").paginate()
        for p in page["Parameters"]
    ]
    if names:
        client.delete_parameters(Names=names)


def _put(client: SSMClient, name: str, value: str, secure: bool = True) -> None:
    client.put_parameter(
        Name=f"{PREFIX}/{name}", Value=value, Type="SecureString" if secure else "String"
    )


def test_production_secrets_come_from_ssm(ssm: SSMClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _put(ssm, "SECRET_KEY", "k" * 40)
    _put(ssm, "INFRASYNC_ENCRYPTION_KEYS", FERNET_KEY)
    _put(ssm, "PUBLIC_URL", "https://api.example.com", secure=False)
    _put(ssm, "FRONTEND_URL", "https://app.example.com", secure=False)
    monkeypatch.setenv("INFRASYNC_ENVIRONMENT", "production")
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", PREFIX)

    settings = load_settings()

    assert settings.effective_secret_key == "k" * 40
    assert settings.fernet_keys == [FERNET_KEY]
    assert settings.effective_frontend_url == "https://app.example.com"


def test_an_environment_variable_overrides_its_ssm_parameter(
    ssm: SSMClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(ssm, "LLM_MODEL", "from-ssm", secure=False)
    _put(ssm, "RETENTION_DAYS", "45", secure=False)
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", PREFIX)
    monkeypatch.setenv("INFRASYNC_LLM_MODEL", "from-environment")
    settings = load_settings()
    assert settings.llm_model == "from-environment"
    assert settings.retention_days == 45


def test_a_parameter_that_names_no_setting_is_refused(
    ssm: SSMClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(ssm, "SECRET_KEYY", "typo")
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", PREFIX)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems == [
        f"SSM parameter {PREFIX}/SECRET_KEYY does not name an Infrasync setting."
    ]


def test_an_invalid_ssm_value_names_the_setting(
    ssm: SSMClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(ssm, "RETENTION_DAYS", "forever", secure=False)
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", PREFIX)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems[0].startswith("INFRASYNC_RETENTION_DAYS is invalid")


def test_unreachable_ssm_is_a_runtime_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", PREFIX)
    with pytest.raises(SettingsSourceError, match="cannot read settings from AWS SSM"):
        load_settings()


def test_cli_reports_unreachable_ssm_in_one_line_with_exit_1(tmp_path: Path) -> None:
    result = run_cli(
        "migrate",
        cwd=tmp_path,
        INFRASYNC_SSM_PREFIX=PREFIX,
        AWS_ENDPOINT_URL_SSM=f"http://127.0.0.1:{free_port()}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_MAX_ATTEMPTS="1",
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("infrasync: cannot read settings from AWS SSM")


def test_ssm_without_boto3_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 is the `aws` extra: a plain install that asks for SSM is told what to add."""
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if it were not installed
    monkeypatch.setenv("INFRASYNC_SSM_PREFIX", "/infrasync/prod")
    with pytest.raises(SettingsSourceError, match=r"infrasync\[aws\]"):
        load_settings()


def test_the_cli_never_imports_boto3_without_ssm(tmp_path: Path) -> None:
    """Only SSM loading needs boto3; the command line's path must not pay for it."""
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom infrasync.cli import app\n"
        "CliRunner().invoke(app, ['migrate'])\nprint('boto3' in sys.modules)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "INFRASYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr[-2000:]
