"""ngo: case management and fundraising appeals for NGOs that help people in danger."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from werkzeug.middleware.proxy_fix import ProxyFix

# limits finds a storage by the scheme its class declares: defining BatchedRedisStorage
# (ngo.rate_limits) is what makes RATELIMIT_STORAGE_URI=ngo+redis://... known to the limiter.
from ngo import (
    rate_limits,  # noqa: F401
    sqlite_writers,
)
from ngo.config import check_production_safety, load_config
from ngo.keyfiles import resolve_keys
from ngo.requests import InMemoryUploadRequest


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    # Every process (flask commands, gunicorn workers, Celery worker and beat) starts here, so
    # everything they create afterwards is the owner's alone: the SQLite database (its WAL and
    # SHM files take the database's mode), the broker's SQLite file, beat's schedule, mail files.
    os.umask(0o077)
    # NGO_INSTANCE_PATH holds keys, SQLite files, mail outbox, beat schedule (default: ./instance).
    instance_path = os.environ.get("NGO_INSTANCE_PATH") or None
    if instance_path:
        instance_path = os.path.abspath(instance_path)
    app = Flask(__name__, instance_path=instance_path)
    app.request_class = InMemoryUploadRequest
    _private_folder(app.instance_path)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    resolve_keys(app.config, app.instance_path)
    check_production_safety(app.config)
    _init_core(app)
    # The domains, lowest first: each registers its blueprints, commands, outbox handlers,
    # session hooks and signal receivers. Nothing registers itself by being imported.
    from ngo import accounts, api, campaigns, cases, dashboard, demo, donations, public, reports

    accounts.init_app(app)
    cases.init_app(app)
    campaigns.init_app(app)
    donations.init_app(app)
    public.init_app(app)
    api.init_app(app)
    reports.init_app(app)
    dashboard.init_app(app)
    demo.init_app(app)
    hops = int(os.environ.get("NGO_PROXY_HOPS", "0") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _configure_logging(app)
    return app


# Libraries that log routine progress at INFO: WeasyPrint seven lines a PDF (its steps, under
# `weasyprint.progress`), fontTools a line a pruned font table when it subsets (without
# HarfBuzz), stripe two an API call (ids and paths, on every webhook). Their warnings and
# errors still show; what fails reaches ngo as an exception, which ngo logs itself.
QUIET_LOGGERS = ("weasyprint", "fontTools", "stripe")


def _configure_logging(app: Flask) -> None:
    """Production logs at INFO (a Celery worker sets its own handlers and level); in every
    mode the chatty libraries above are held to warnings, so that a worker's log says what the
    worker did."""
    if app.config["NGO_ENV"] == "production":
        logging.basicConfig(level=logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _private_folder(path: str) -> None:
    """Create the instance folder with mode 0700, and close one an earlier version left open:
    files made before the umask above are then out of other users' reach as well."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    if os.stat(path).st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except PermissionError:
            logging.getLogger(__name__).warning("cannot restrict the instance folder to its owner")


def _init_core(app: Flask) -> None:
    """What belongs to no domain: extensions, the outbox, security headers, error pages,
    template helpers and the core commands."""
    from ngo import audit, cli, deferred_writes, errors, outbox, security, unit_of_work
    from ngo.celery_app import celery_init_app
    from ngo.extensions import (
        babel,
        csrf,
        db,
        include_in_migrations,
        limiter,
        listen,
        login_manager,
        migrate,
        render_migration_type,
    )
    from ngo.i18n import select_locale

    listen(Engine, "connect", _sqlite_pragmas)
    listen(Pool, "checkin", sqlite_writers.release)
    listen(Pool, "close", sqlite_writers.close)
    deferred_writes.init_app()
    db.init_app(app)
    # The first request hooks, so that the request's commit runs after every other after_request.
    unit_of_work.init_app(app, audit_records=(audit.AuditEvent,))
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_type,
        include_object=include_in_migrations,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    celery_init_app(app)
    outbox.init_app(app)
    security.init_security(app)
    errors.init_errors(app)
    cli.register(app)
    _init_template_globals(app)


def _init_template_globals(app: Flask) -> None:
    from datetime import date

    from flask_babel import format_date, format_datetime, get_locale

    from ngo.config import LANGUAGES
    from ngo.i18n import bound_translations
    from ngo.urls import init_cached_url_for

    app.context_processor(bound_translations)
    init_cached_url_for(app)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_locale=lambda: str(get_locale()),
        format_datetime=format_datetime,
        format_date=format_date,
        today=date.today,
    )


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # web, worker and beat share one SQLite file: WAL lets readers and a writer overlap.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
