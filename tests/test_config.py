from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from ngo import create_app
from ngo.config import ConfigurationError, load_config, normalise_database_url
from ngo.keyfiles import GENERATORS

ENV_VARS = [
    "NGO_ENV",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MAIL_URL",
    "SECRET_KEY",
    "NGO_DATA_KEYS",
    "NGO_INDEX_KEY",
    "NGO_AUDIT_KEY",
    "NGO_AUDIT_SIGNING_KEY",
    "RATELIMIT_STORAGE_URI",
    "NGO_PORT",
    "NGO_BASE_URL",
]
# The development data key earlier versions published in the source code.
PUBLISHED_DATA_KEY = "bmdvLWRldmVsb3BtZW50LWRhdGEta2V5LXB1YmxpYyE="


def production_keys() -> dict[str, str]:
    return {
        "SECRET_KEY": "x" * 48,
        "NGO_INDEX_KEY": "i" * 48,
        "NGO_DATA_KEYS": Fernet.generate_key().decode(),
        "NGO_AUDIT_KEY": "a" * 48,
        "NGO_AUDIT_SIGNING_KEY": GENERATORS["NGO_AUDIT_SIGNING_KEY"](),
    }


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
    assert config["NGO_BASE_URL"] == "http://127.0.0.1:8000"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_links_follow_ngo_port_unless_a_base_url_is_set(clean_env, tmp_path):
    clean_env.setenv("NGO_PORT", "8591")
    assert load_config(str(tmp_path))["NGO_BASE_URL"] == "http://127.0.0.1:8591"
    clean_env.setenv("NGO_BASE_URL", "https://appeals.example.org/")
    assert load_config(str(tmp_path))["NGO_BASE_URL"] == "https://appeals.example.org"


@pytest.mark.parametrize("port", ["eighty", "0", "70000", "-1"])
def test_unusable_port_is_refused(clean_env, tmp_path, port):
    clean_env.setenv("NGO_PORT", port)
    with pytest.raises(ConfigurationError, match="NGO_PORT must be a port number"):
        load_config(str(tmp_path))


def test_written_links_use_ngo_port(clean_env, tmp_path):
    """E-mails and the canonical / og:url links of public pages, with NGO_BASE_URL unset."""
    from ngo.extensions import db
    from ngo.urls import external_url

    clean_env.setenv("NGO_PORT", "8591")
    app = create_app(
        {
            **production_keys(),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'port.sqlite'}",
            "CELERY_BROKER_URL": "memory://",
        }
    )
    with app.app_context():
        db.create_all()
        assert external_url("accounts.login") == "http://127.0.0.1:8591/login"
        page = app.test_client().get("/").get_data(as_text=True)
        db.engine.dispose()
    assert '<link rel="canonical" href="http://127.0.0.1:8591/">' in page


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


@pytest.mark.parametrize("missing", list(GENERATORS))
def test_production_refuses_to_start_without_each_key(clean_env, missing):
    clean_env.setenv("NGO_ENV", "production")
    for name, value in production_keys().items():
        if name != missing:
            clean_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"NGO_ENV=production needs {missing}:"):
        create_app()


def test_production_never_reads_generated_key_files(clean_env, tmp_path):
    create_app()  # development: writes every key into <instance>/keys/
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == sorted(GENERATORS)
    clean_env.setenv("NGO_ENV", "production")
    with pytest.raises(ConfigurationError, match="for development only"):
        create_app()


@pytest.mark.parametrize("name", ["SECRET_KEY", "NGO_INDEX_KEY", "NGO_AUDIT_KEY"])
def test_production_refuses_short_keys(clean_env, name):
    clean_env.setenv("NGO_ENV", "production")
    for variable, value in {**production_keys(), name: "short"}.items():
        clean_env.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=name):
        create_app()


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("SECRET_KEY", "dev-secret-key-not-for-production"),
        ("NGO_INDEX_KEY", "development-blind-index-key-not-for-production"),
        ("NGO_DATA_KEYS", f"{Fernet.generate_key().decode()},{PUBLISHED_DATA_KEY}"),
    ],
    # The names only: the generated key differs in each of pytest-xdist's workers, which
    # must collect the same test ids.
    ids=["SECRET_KEY", "NGO_INDEX_KEY", "NGO_DATA_KEYS"],
)
def test_production_refuses_keys_once_published_in_the_source(clean_env, name, published):
    clean_env.setenv("NGO_ENV", "production")
    for variable, value in {**production_keys(), name: published}.items():
        clean_env.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=name):
        create_app()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NGO_AUDIT_SIGNING_KEY", "not base64 at all!"),
        ("NGO_AUDIT_SIGNING_KEY", "c2hvcnQ="),
        ("NGO_AUDIT_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END"),
        ("NGO_DATA_KEYS", "not-a-fernet-key"),
    ],
)
def test_unusable_key_formats_are_refused_in_every_mode(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        create_app()


def test_signing_key_may_be_a_pem_block(clean_env):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ngo import audit

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    clean_env.setenv("NGO_AUDIT_SIGNING_KEY", pem)
    with create_app().app_context():
        assert audit.signing_key().public_key() == key.public_key()


def test_production_starts_with_real_keys_and_secure_cookies(clean_env):
    clean_env.setenv("NGO_ENV", "production")
    for name, value in production_keys().items():
        clean_env.setenv(name, value)
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


def test_webhook_rate_limit_is_configurable_and_checked(clean_env, tmp_path):
    assert load_config(str(tmp_path))["WEBHOOK_RATE_LIMIT"] == "600 per minute"
    clean_env.setenv("NGO_WEBHOOK_RATE_LIMIT", "100000 per second")
    assert load_config(str(tmp_path))["WEBHOOK_RATE_LIMIT"] == "100000 per second"
    clean_env.setenv("NGO_WEBHOOK_RATE_LIMIT", "lots")
    with pytest.raises(ConfigurationError, match="NGO_WEBHOOK_RATE_LIMIT"):
        load_config(str(tmp_path))


WORKER_VARS = [
    "NGO_TASK_SOFT_TIME_LIMIT",
    "NGO_TASK_TIME_LIMIT",
    "NGO_OUTBOX_LEASE_SECONDS",
    "NGO_OUTBOX_RETRY_MAX_SECONDS",
    "NGO_BROKER_VISIBILITY_TIMEOUT",
    "NGO_OUTBOX_SWEEP_AFTER_SECONDS",
]


@pytest.fixture
def worker_env(clean_env):
    for name in WORKER_VARS:
        clean_env.delenv(name, raising=False)
    return clean_env


def test_the_worker_defaults(worker_env, tmp_path):
    config = load_config(str(tmp_path))
    assert (config["TASK_SOFT_TIME_LIMIT"], config["TASK_TIME_LIMIT"]) == (120, 150)
    assert config["OUTBOX_LEASE_SECONDS"] == 300
    assert config["OUTBOX_SWEEP_AFTER_SECONDS"] == 60  # "older than a minute"
    assert config["BROKER_VISIBILITY_TIMEOUT"] > config["OUTBOX_RETRY_MAX_SECONDS"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"NGO_TASK_SOFT_TIME_LIMIT": "200"}, "SOFT_TIME_LIMIT must be below"),
        ({"NGO_OUTBOX_LEASE_SECONDS": "100"}, "LEASE_SECONDS must exceed"),
        ({"NGO_OUTBOX_RETRY_MAX_SECONDS": "9000"}, "VISIBILITY_TIMEOUT must exceed"),
        ({"NGO_OUTBOX_SWEEP_AFTER_SECONDS": "soon"}, "a number of seconds above 0"),
        ({"NGO_TASK_TIME_LIMIT": "-1"}, "a number of seconds above 0"),
    ],
)
def test_worker_settings_that_contradict_each_other_are_refused(
    worker_env, tmp_path, settings, message
):
    for name, value in settings.items():
        worker_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        load_config(str(tmp_path))


@pytest.fixture
def unset_library_log_levels():
    """As in a fresh process: the libraries' loggers without a level of their own."""
    from ngo import QUIET_LOGGERS

    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        # As in a fresh process: not disabled by a logging configuration applied earlier in
        # this worker process (dictConfig disables the loggers it does not name).
        logger.disabled = False
    yield
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)


def test_the_worker_log_holds_no_pdf_progress_lines(
    clean_env, tmp_path, caplog, unset_library_log_levels
):
    from ngo.reports.pdf import render_pdf

    create_app({**production_keys(), "CELERY_BROKER_URL": "memory://"})
    caplog.set_level(logging.INFO)  # as a worker started with --loglevel INFO logs
    render_pdf("<h1>Квитанція 2026-000001</h1><p>Zażółć gęślą jaźń</p>")
    logging.getLogger("ngo.reports").info("a receipt was sent")
    assert [record.name for record in caplog.records] == ["ngo.reports"]
    logging.getLogger("weasyprint").warning("a broken stylesheet")  # warnings still show
    assert caplog.records[-1].name == "weasyprint"
