from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from ngo import create_app
from ngo.config import (
    DEVELOPMENT_DATA_KEY,
    DEVELOPMENT_SECRET_KEY,
    ConfigurationError,
    load_config,
    normalise_database_url,
)

ENV_VARS = [
    "NGO_ENV",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MAIL_URL",
    "SECRET_KEY",
    "NGO_DATA_KEYS",
    "NGO_INDEX_KEY",
    "RATELIMIT_STORAGE_URI",
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def test_defaults_need_no_service(clean_env, tmp_path):
    config = load_config(str(tmp_path))
    assert config["NGO_ENV"] == "development"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'ngo.sqlite'}"
    assert config["CELERY_BROKER_URL"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    assert config["MAIL_URL"] == f"file://{tmp_path / 'outbox'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert config["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides_defaults(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", "postgresql://u:p@db/ngo")
    clean_env.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    clean_env.setenv("MAIL_URL", "smtp://mail:1025")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/ngo"
    assert config["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert config["MAIL_URL"] == "smtp://mail:1025"


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_unknown_environment_is_refused(clean_env, tmp_path):
    clean_env.setenv("NGO_ENV", "prod")
    with pytest.raises(ConfigurationError, match="NGO_ENV must be"):
        load_config(str(tmp_path))


def test_production_refuses_development_secret(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    clean_env.setenv("NGO_DATA_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_development_index_key(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 48)
    clean_env.setenv("NGO_DATA_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError, match="NGO_INDEX_KEY"):
        create_app()


def test_production_refuses_short_secret(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "short")
    clean_env.setenv("NGO_DATA_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_development_data_key(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 48)
    clean_env.setenv("NGO_INDEX_KEY", "i" * 48)
    clean_env.setenv("NGO_DATA_KEYS", f"{Fernet.generate_key().decode()},{DEVELOPMENT_DATA_KEY}")
    with pytest.raises(ConfigurationError, match="NGO_DATA_KEYS"):
        create_app()


def test_production_starts_with_real_keys_and_secure_cookies(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 48)
    clean_env.setenv("NGO_INDEX_KEY", "i" * 48)
    clean_env.setenv("NGO_DATA_KEYS", Fernet.generate_key().decode())
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/")
    assert "Strict-Transport-Security" in response.headers


def test_production_refusal_is_a_clear_cli_error(clean_env, tmp_path):
    import subprocess
    import sys

    env = {"NGO_ENV": "production", "NGO_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "ngo", "routes"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_verification_period_is_configurable_and_checked(clean_env, tmp_path):
    assert load_config(str(tmp_path))["VERIFICATION_VALID_DAYS"] == 365
    clean_env.setenv("NGO_VERIFICATION_VALID_DAYS", "180")
    assert load_config(str(tmp_path))["VERIFICATION_VALID_DAYS"] == 180
    clean_env.setenv("NGO_VERIFICATION_VALID_DAYS", "a year")
    with pytest.raises(ConfigurationError, match="NGO_VERIFICATION_VALID_DAYS"):
        load_config(str(tmp_path))
