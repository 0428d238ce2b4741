"""ngo: case management and fundraising appeals for NGOs that help people in danger."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

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
    _init_extensions(app)
    _register_blueprints(app)
    _init_cli(app)
    hops = int(os.environ.get("NGO_PROXY_HOPS", "0") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if app.config["NGO_ENV"] == "production":
        logging.basicConfig(level=logging.INFO)
    return app


def _private_folder(path: str) -> None:
    """Create the instance folder with mode 0700, and close one an earlier version left open:
    files made before the umask above are then out of other users' reach as well."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    if os.stat(path).st_mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except PermissionError:
            logging.getLogger(__name__).warning("cannot restrict the instance folder to its owner")


def _init_extensions(app: Flask) -> None:
    from ngo import errors, models, security  # noqa: F401  (models: the whole schema)
    from ngo.accounts import access, sessions  # noqa: F401  (access: the user loader)
    from ngo.cases import images
    from ngo.celery_app import celery_init_app
    from ngo.extensions import (
        babel,
        csrf,
        db,
        include_in_migrations,
        limiter,
        login_manager,
        migrate,
        render_migration_type,
    )
    from ngo.i18n import select_locale

    db.init_app(app)
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
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    # Flask-Login has no public setting for this; its default trusts X-Forwarded-For blindly.
    login_manager._session_identifier_generator = sessions.session_identifier
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    celery_init_app(app)
    security.init_security(app)
    images.init_app(app)
    errors.init_errors(app)

    _init_template_globals(app)


def _init_template_globals(app: Flask) -> None:
    from datetime import date

    from flask_babel import format_date, format_datetime, get_locale

    from ngo.accounts import policy
    from ngo.accounts.access import current_membership
    from ngo.accounts.forms import ROLE_LABELS
    from ngo.accounts.models import Role
    from ngo.config import LANGUAGES

    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_locale=lambda: str(get_locale()),
        acting_membership=current_membership,
        may=lambda membership, action: policy.may(membership, policy.Action(action)),
        role_label=lambda role: str(ROLE_LABELS[Role(role)]),
        format_datetime=format_datetime,
        format_date=format_date,
        today=date.today,
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # web, worker and beat share one SQLite file: WAL lets readers and a writer overlap.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from ngo import api
    from ngo.accounts import notifications  # noqa: F401  (registers outbox handlers)
    from ngo.accounts.views import admin_bp, bp
    from ngo.campaigns import services as campaigns  # noqa: F401  (registers its erasure step)
    from ngo.campaigns.views import bp as appeals_bp
    from ngo.campaigns.views import concerns_bp
    from ngo.cases.views import bp as cases_bp
    from ngo.public.views.appeal_forms import bp as public_forms_bp
    from ngo.public.views.appeals import bp as public_appeals_bp
    from ngo.public.views.home import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(appeals_bp)
    app.register_blueprint(public_appeals_bp)
    app.register_blueprint(concerns_bp)
    app.register_blueprint(public_forms_bp)
    app.register_blueprint(api.bp)


def _init_cli(app: Flask) -> None:
    from ngo import campaigns, cli

    cli.register(app)
    campaigns.register_cli(app)
