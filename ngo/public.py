"""Public pages that belong to no domain yet: the home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text
from werkzeug.wrappers import Response

from ngo.extensions import db

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html")


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return False
    return True


def _broker_ok() -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception:
        current_app.logger.exception("health check: broker unreachable")
        return False
    return True


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    database, broker = _database_ok(), _broker_ok()
    healthy = database and broker
    body = {
        "status": "ok" if healthy else "degraded",
        "database": "ok" if database else "unreachable",
        "broker": "ok" if broker else "unreachable",
    }
    return jsonify(body), 200 if healthy else 503
