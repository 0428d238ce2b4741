"""Public pages that belong to no domain: the home page, the language choice and the health
check; and the helpers every public page uses.

Public pages may be kept by shared caches, so they set no cookie and hold no form token. The
language form of the staff pages needs both, so readers get a link to `/choose-language`, the
one page that holds that form (and is never cached).
"""

from __future__ import annotations

from typing import Any

from babel.core import get_global
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.wrappers import Response

from ngo.config import LANGUAGES
from ngo.extensions import csrf, db
from ngo.http_cache import cacheable, public_limit
from ngo.i18n import language_display_name, remember_language
from ngo.money import format_money_short
from ngo.public import browse
from ngo.public.views.card_texts import card_texts
from ngo.urls import safe_redirect_target

bp = Blueprint("public", __name__)

MAX_QUERY_STRING = 2000


def current_locale() -> str:
    return str(get_locale())


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link on the configured public address, never on the Host header a client sent: a
    cached page must not carry an address an attacker chose."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root) :]
    return str(current_app.config["NGO_BASE_URL"]) + path


def og_locale(code: str) -> str:
    """Open Graph wants language_TERRITORY: the language's likely territory (CLDR)."""
    parts = str(get_global("likely_subtags").get(code, code)).split("_")
    return f"{parts[0]}_{parts[-1]}" if len(parts) > 1 else parts[0]


def refuse_long_query_string() -> None:
    if len(request.query_string) > MAX_QUERY_STRING:
        abort(400, description=_("This address is too long."))


@bp.app_context_processor
def _public_helpers() -> dict[str, object]:
    locale = get_locale()  # once per render: a list page formats forty amounts
    return {
        "money_short": lambda money: format_money_short(money, locale),
        "language_name": lambda code: LANGUAGES.get(code, code),
        # Mid-sentence, in the reader's language: "written in Belarusian", "po białorusku".
        "language_display_name": lambda code: language_display_name(code, str(locale)),
        "absolute_url": absolute_url,
        "og_locale": og_locale,
        "card_texts": card_texts,
    }


@bp.get("/")
@cacheable()
def home() -> str:
    refuse_long_query_string()
    urgent, newest = browse.newest_and_urgent(current_locale())
    return render_template("public/home.html", urgent=urgent, newest=newest)


def _return_target(raw: str | None) -> str:
    if raw is None or len(raw) > MAX_QUERY_STRING:
        raw = ""
    return safe_redirect_target(raw, url_for("public.home"))


@bp.get("/choose-language")
@public_limit
def choose_language() -> Response:
    """The language choice, on its own page. Showing it sets no cookie: a reader's form
    carries no CSRF token (which would need a session) and posts back here. A signed-in
    user, who has a session already, gets the account's form, which also saves the choice
    to their account."""
    target = _return_target(request.args.get("next"))
    response = make_response(render_template("public/choose_language.html", next=target))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _from_another_site() -> bool:
    """A form posted by another site's page: browsers say so in Sec-Fetch-Site, and older
    ones send an Origin that is not this site's."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") != request.host_url.rstrip("/")


@bp.post("/choose-language")
@csrf.exempt
@public_limit
def remember_chosen_language() -> Response:
    """The reader's choice, kept in the language cookie (the only cookie a reader gets).
    Without a session there is no CSRF token to check; the worst a forged post could do is
    change the language, and posts from other sites are refused all the same."""
    if _from_another_site():
        abort(403)
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400, description=_("Unknown language."))
    response = redirect(_return_target(request.form.get("next")))
    remember_language(response, language)
    return response


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
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
