"""Language choice: the signed-in user's setting, then this browser's choice, then its
Accept-Language, then English.

The browser's choice is a cookie of its own, not part of the session: a reader who picked a
language then has no session at all, so public pages stay cacheable and free of the session
cookie (and of Flask-Login's session protection, which rewrites a session that holds no user).
"""

from __future__ import annotations

from babel import Locale
from flask import current_app, has_request_context, request
from flask_login import current_user
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


# Territory codes of CLDR that are not countries a person lives in.
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
