"""Showing money: Babel decides symbol, order, separators and grouping for each locale.

A list page formats dozens of amounts, and `babel.numbers.format_currency` parses the locale,
looks up its pattern and the currency's symbol and name on every call. The pattern of a
(locale, currency, decimals) triple never changes in a process, so it is built once, with the
symbol already in place, and each call only renders the number through Babel's own
`NumberPattern.apply`: the same text as `format_currency`, about a third of the time.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_currency, get_currency_symbol
from flask import current_app, has_app_context
from flask_babel import get_locale

from ngo.money.amount import Money
from ngo.money.currencies import minor_units

_SYMBOL = "¤"


def _resolve_locale(locale: str | Locale | None) -> Locale:
    """The given locale, else the current request's (Flask-Babel), else English."""
    if locale is None:
        if has_app_context() and "babel" in current_app.extensions:
            locale = get_locale()
        if locale is None:
            locale = "en"
    return locale if isinstance(locale, Locale) else _parsed(locale)


@lru_cache(maxsize=64)
def _parsed(identifier: str) -> Locale:
    return Locale.parse(identifier)


# Keys are our few languages x the currencies appeals use x two precisions.
@lru_cache(maxsize=512)
def _pattern(locale: Locale, currency: str, digits: int) -> NumberPattern | None:
    """The locale's standard currency pattern with `digits` decimals and the currency's symbol
    in place, or None where the pattern names the currency in words (plural forms depend on
    the amount, so Babel has to write it each time)."""
    standard = locale.currency_formats["standard"]
    if any(_SYMBOL * 3 in part for part in (*standard.prefix, *standard.suffix)):
        return None
    pattern = copy.copy(standard)
    pattern.frac_prec = (digits, digits)
    # Babel replaces "¤¤" by the code and "¤" by the symbol, in that order, before it unquotes
    # literal text; doing it here first gives the same result.
    symbol = get_currency_symbol(currency, locale)

    def place(part: str) -> str:
        return part.replace(_SYMBOL * 2, currency.upper()).replace(_SYMBOL, symbol)

    pattern.prefix = tuple(place(part) for part in standard.prefix)
    pattern.suffix = tuple(place(part) for part in standard.suffix)
    return pattern


def _format(money: Money, locale: Locale, digits: int) -> str:
    pattern = _pattern(locale, money.currency, digits)
    if pattern is None:
        return format_currency(
            money.to_decimal(),
            money.currency,
            format=_with_digits(locale, digits),
            locale=locale,
            currency_digits=False,
        )
    return pattern.apply(money.to_decimal(), locale, currency_digits=False)


def _with_digits(locale: Locale, digits: int) -> NumberPattern:
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


def format_money(money: Money, locale: str | Locale | None = None) -> str:
    """Locale-correct display with all decimals: en "€2,100.00", pl "2 100,00 €" (no-break
    spaces where CLDR puts them)."""
    return _format(money, _resolve_locale(locale), minor_units(money.currency))


def format_money_short(money: Money, locale: str | Locale | None = None) -> str:
    """Like `format_money` but without ",00" when the amount is whole ("€231 of €4,400"), for
    progress bars and headlines. Amounts with cents keep them: rounding would misstate. The
    locale's own pattern loses only its fraction digits, so that symbol position, spacing and
    grouping stay exactly as CLDR has them."""
    exponent = minor_units(money.currency)
    digits = exponent if money.amount_minor % 10**exponent else 0
    return _format(money, _resolve_locale(locale), digits)


def format_plain(money: Money) -> str:
    """Canonical, locale-free text ("2100.50", JPY "2100", KWD "1.250") for form fields and
    CSV: no symbol, no grouping, "." as decimal point. `Money.parse` reads it back exactly."""
    exponent = minor_units(money.currency)
    sign = "-" if money.amount_minor < 0 else ""
    whole, fraction = divmod(abs(money.amount_minor), 10**exponent)
    if exponent == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{exponent}d}"
