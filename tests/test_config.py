from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from infrasync.config import SettingsError, load_settings
from infrasync.kit.urls import normalize_database_url

FERNET_KEY = Fernet.generate_key().decode()
SAFE_PRODUCTION = {
    "INFRASYNC_ENVIRONMENT": "production",
    "INFRASYNC_SECRET_KEY": "s" * 48,
    "INFRASYNC_ENCRYPTION_KEYS": FERNET_KEY,
    "INFRASYNC_PUBLIC_URL": "https://api.example.com",
    "INFRASYNC_FRONTEND_URL": "https://app.example.com",
}


def _set(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def test_safe_production_settings_start(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, SAFE_PRODUCTION)
    settings = load_settings()
    assert settings.is_production
    assert settings.effective_log_format == "json"
    assert settings.fernet_keys == [FERNET_KEY]


@pytest.mark.parametrize(
    "missing",
    [
        "INFRASYNC_SECRET_KEY",
        "INFRASYNC_ENCRYPTION_KEYS",
        "INFRASYNC_PUBLIC_URL",
        "INFRASYNC_FRONTEND_URL",
    ],
)
def test_production_refuses_each_missing_setting_by_name(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    _set(monkeypatch, {k: v for k, v in SAFE_PRODUCTION.items() if k != missing})
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(f"{missing} is missing")


def test_production_names_every_problem_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRASYNC_ENVIRONMENT", "production")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    named = [problem.split(" ", 1)[0] for problem in refused.value.problems]
    assert named == [
        "INFRASYNC_SECRET_KEY",
        "INFRASYNC_ENCRYPTION_KEYS",
        "INFRASYNC_PUBLIC_URL",
        "INFRASYNC_FRONTEND_URL",
    ]
    # Production never falls back to generated secrets on disk.
    assert not Path(".infrasync").exists()


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("INFRASYNC_PUBLIC_URL", "http://api.example.com", "must be an https:// address"),
        ("INFRASYNC_FRONTEND_URL", "http://app.example.com", "must be an https:// address"),
        ("INFRASYNC_SECRET_KEY", "short", "is too short"),
        ("INFRASYNC_ENCRYPTION_KEYS", "not-a-fernet-key", "is not a valid Fernet key"),
        ("INFRASYNC_ENCRYPTION_KEYS", f"{FERNET_KEY},broken", "key #2 is not a valid"),
    ],
    # Named by the complaint, not the value: a generated key would give every test
    # process (pytest-xdist's workers) a different id.
    ids=["public-url-http", "frontend-url-http", "short-secret", "bad-key", "bad-second-key"],
)
def test_production_refuses_unsafe_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    _set(monkeypatch, {**SAFE_PRODUCTION, name: value})
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(name)
    assert complaint in refused.value.problems[0]


def test_secrets_never_appear_in_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, {**SAFE_PRODUCTION, "INFRASYNC_SECRET_KEY": "hunter2"})
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "hunter2" not in str(refused.value)


def test_development_generates_secrets_once_with_private_permissions() -> None:
    first = load_settings()
    secret_file = Path(".infrasync/secret_key")
    keys_file = Path(".infrasync/encryption_keys")
    for path in (secret_file, keys_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(".infrasync").stat().st_mode) == 0o700
    Fernet(first.fernet_keys[0])  # a usable key
    assert len(first.effective_secret_key) >= 32

    second = load_settings()
    assert second.effective_secret_key == first.effective_secret_key
    assert second.fernet_keys == first.fernet_keys


def test_development_database_defaults_to_sqlite_under_dot_infrasync() -> None:
    settings = load_settings()
    expected = Path.cwd() / ".infrasync" / "infrasync.db"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{expected}"


def test_dotenv_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(
        "INFRASYNC_RETENTION_DAYS=12\nINFRASYNC_LLM_MODEL=from-dotenv\nINFRASYNC_SECRET_KEY=\n"
    )
    monkeypatch.setenv("INFRASYNC_LLM_MODEL", "from-environment")
    settings = load_settings()
    assert settings.retention_days == 12
    assert settings.llm_model == "from-environment"
    # A blank value means "unset": development generates the key rather than using "".
    assert len(settings.effective_secret_key) >= 32


def test_frontend_url_defaults_to_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRASYNC_PUBLIC_URL", "http://localhost:9000/")
    settings = load_settings()
    assert settings.public_url == "http://localhost:9000"
    assert settings.effective_frontend_url == "http://localhost:9000"


@pytest.mark.parametrize(
    ("api_url", "graphql_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:9999", "http://127.0.0.1:9999/graphql"),
    ],
)
def test_github_graphql_url_is_derived_for_github_and_enterprise_server(
    monkeypatch: pytest.MonkeyPatch, api_url: str, graphql_url: str
) -> None:
    monkeypatch.setenv("INFRASYNC_GITHUB_API_URL", api_url)
    assert load_settings().effective_github_graphql_url == graphql_url


def test_github_graphql_url_can_be_set_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRASYNC_GITHUB_GRAPHQL_URL", "https://gql.example.com/graphql")
    assert load_settings().effective_github_graphql_url == "https://gql.example.com/graphql"


@pytest.mark.parametrize(
    ("pasted", "used"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("postgresql://u:p@db:5432/app", "postgresql+psycopg://u:p@db:5432/app"),
        ("postgres://u:p@db/app", "postgresql+psycopg://u:p@db/app"),
        ("postgresql+psycopg2://u@db/app", "postgresql+psycopg://u@db/app"),
        (
            "postgresql+asyncpg://u@db/app?sslmode=require",
            "postgresql+psycopg://u@db/app?sslmode=require",
        ),
    ],
)
def test_database_urls_work_as_users_paste_them(pasted: str, used: str) -> None:
    assert normalize_database_url(pasted) == used


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("mysql://u@db/app", "'mysql' database is not supported"),
        ("not a url", "is not a database URL"),
        ("sqlite://", "in-memory SQLite"),
    ],
)
def test_unusable_database_urls_are_refused_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, value: str, complaint: str
) -> None:
    monkeypatch.setenv("INFRASYNC_DATABASE_URL", value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems[0].startswith("INFRASYNC_DATABASE_URL is invalid")
    assert complaint in refused.value.problems[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INFRASYNC_ENVIRONMENT", "staging"),
        ("INFRASYNC_RETENTION_DAYS", "0"),
        ("INFRASYNC_BILLING_MODE", "free"),
        ("INFRASYNC_PUBLIC_URL", "ftp://example.com"),
        ("INFRASYNC_LOG_FORMAT", "xml"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.problems[0].startswith(f"{name} is invalid")
