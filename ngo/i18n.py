"""Language choice: the signed-in user's setting, then this browser's choice, then its
Accept-Language, then English."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

from ngo.config import LANGUAGES


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"
