"""Language choice: the signed-in user's setting, then this browser's choice, then its
Accept-Language, then English.

The browser's choice is a cookie of its own, not part of the session: a reader who picked a
language then has no session at all, so public pages stay cacheable and free of the session
cookie (and of Flask-Login's session protection, which rewrites a session that holds no user).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from datetime import date as date_
from functools import lru_cache
from typing import Any, Literal, cast

from babel import Locale
from babel.dates import DateTimePattern, get_date_format, parse_pattern
from flask import current_app, has_request_context, request
from flask_babel import format_date as flask_format_date
from flask_babel import get_babel, get_locale, get_timezone, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
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
    """A template context processor: gettext, the locale and date formatting, bound once per
    render.

    Flask-Babel's template `gettext` and `format_date` find the request's translations,
    locale and time zone through `g` and the selectors on every call, and a list page calls
    them more than a hundred times (with `current_locale()` once per card). One render has
    one locale, so the template gets callables bound to it. `_` and `gettext` behave as
    Jinja's new-style gettext (`install_gettext_callables(newstyle=True)`, as Flask-Babel
    installs it): the translation is autoescaped and always %-formatted with the keyword
    arguments. Imported macros that do not take the context still reach Flask-Babel's
    globals, with the same result. They take the evaluation context (autoescape), not the
    template context as Jinja's own do: Jinja gives a context callable inside a loop a copy
    of the context with the loop's variables, at every call.
    """
    translations = get_translations()
    locale = get_locale()
    code = str(locale)
    ugettext, ungettext = translations.ugettext, translations.ungettext
    upgettext, unpgettext = translations.upgettext, translations.unpgettext

    # A string without variables is the same text each time it is asked for in this render
    # (a list page asks for "Country" once per card): translated and formatted once.
    done: dict[tuple[str, bool], str] = {}

    @pass_eval_context
    def gettext(context: EvalContext, string: str, /, **variables: Any) -> str:
        if variables:
            return formatted(context, ugettext(string), variables)
        key = (string, context.autoescape)
        text = done.get(key)
        if text is None:
            text = done[key] = formatted(context, ugettext(string), variables)
        return text

    @pass_eval_context
    def ngettext(
        context: EvalContext, singular: str, plural: str, n: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", n)
        return formatted(context, ungettext(singular, plural, n), variables)

    @pass_eval_context
    def pgettext(context: EvalContext, msgctxt: str, string: str, /, **variables: Any) -> str:
        variables.setdefault("context", msgctxt)
        return formatted(context, upgettext(msgctxt, string), variables)

    @pass_eval_context
    def npgettext(
        context: EvalContext, msgctxt: str, singular: str, plural: str, n: int, /, **variables: Any
    ) -> str:
        variables.setdefault("context", msgctxt)
        variables.setdefault("num", n)
        return formatted(context, unpgettext(msgctxt, singular, plural, n), variables)

    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
        "current_locale": lambda: code,
        "format_date": _date_formatter(locale) if locale is not None else flask_format_date,
    }


def formatted(context: EvalContext, text: str, variables: dict[str, Any]) -> str:
    """A translation with its variables, as the templates' `_` gives it."""
    # The catalogs are ours, so a translation is markup, as Jinja's i18n extension treats it;
    # the values put into it are escaped by Markup's %.
    return (Markup(text) if context.autoescape else text) % variables  # noqa: S704


DateFormatName = Literal["full", "long", "medium", "short"]


def _date_formatter(locale: Locale) -> Callable[..., str]:
    """Flask-Babel's `format_date` for one render: the locale's default date pattern parsed
    once, the user's time zone looked up once, and each day formatted once per locale (a
    day's text in a locale never changes). Other formats, and no date at all (today), go to
    Flask-Babel itself."""
    formats = get_babel().instance.date_formats
    name = formats["date"]
    named = name in ("short", "medium", "long", "full") and formats.get(f"date.{name}") is None
    zone = get_timezone()
    if not named or zone is None:
        return flask_format_date
    code = str(locale)

    def format_date(
        date: date_ | None = None, format: str | None = None, rebase: bool = True
    ) -> str:
        if date is None or format is not None:
            return str(flask_format_date(date, format, rebase))
        day = date
        if isinstance(date, datetime):
            moment = date
            if rebase:
                # flask_babel.to_user_timezone, with the zone of this render
                aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
                moment = zone.normalize(aware.astimezone(zone))
            day = moment.date()
        return _formatted_day(day, code, cast(DateFormatName, name))

    return format_date


@lru_cache(maxsize=4096)
def _formatted_day(day: date_, locale: str, name: DateFormatName) -> str:
    """One day in one of a locale's named date formats ("medium")."""
    parsed = Locale.parse(locale)
    return str(_date_pattern(parsed, name).apply(day, parsed))


@lru_cache(maxsize=64)
def _date_pattern(locale: Locale, name: DateFormatName) -> DateTimePattern:
    """The parsed pattern of one of the locale's named date formats ("medium")."""
    return parse_pattern(get_date_format(name, locale=locale))


# Territory codes of CLDR that are not countries a person lives in.
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@lru_cache(maxsize=64)
def language_display_name(code: str, locale: str) -> str:
    """A language's name as a reader of `locale` says it mid-sentence (CLDR: "Belarusian"
    in English, "białoruski" in Polish), for "this appeal is written in ..."; the code
    itself if CLDR does not know it."""
    try:
        name = Locale.parse(code).get_display_name(locale)
    except (ValueError, LookupError):
        return code
    return name or code
