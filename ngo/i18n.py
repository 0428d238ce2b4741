"""Language choice: the signed-in user's setting, then this browser's choice, then its
Accept-Language, then English.

The browser's choice is a cookie of its own, not part of the session: a reader who picked a
language then has no session at all, so public pages stay cacheable and free of the session
cookie (and of Flask-Login's session protection, which rewrites a session that holds no user).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_login import current_user

# Jinja's own wrappers for new-style gettext, the ones install_gettext_callables applies.
from jinja2.ext import (
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)
from werkzeug.wrappers import Response

from ngo.config import LANGUAGES

LANGUAGE_COOKIE = "ngo_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def remember_language(response: Response, language: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def bound_translations() -> dict[str, Any]:
    """A template context processor: the current translations and locale, looked up once per
    render.

    Flask-Babel's template `gettext` finds the request's translations through `g` and the
    locale selector on every call, and a list page calls it more than a hundred times (with
    `current_locale()` once per card). One render has one locale, so the template gets
    callables bound to it; they are wrapped exactly as Jinja's `install_gettext_callables`
    wraps Flask-Babel's (`newstyle`: autoescaped, always %-formatted). Imported macros that do
    not take the context still reach Flask-Babel's globals, with the same result.
    """
    translations = get_translations()
    code = str(get_locale())
    return {
        "gettext": _make_new_gettext(translations.ugettext),
        "ngettext": _make_new_ngettext(translations.ungettext),
        "pgettext": _make_new_pgettext(translations.upgettext),
        "npgettext": _make_new_npgettext(translations.unpgettext),
        "current_locale": lambda: code,
    }
