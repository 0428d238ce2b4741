"""Showing money: Babel decides symbol, order, separators and grouping for each locale.

A list page formats forty amounts. `babel.numbers.format_currency` parses the locale, looks up
its pattern, the currency's symbol and name, the decimal and group symbols, and goes through
`Decimal` quantisation on every call (33 us). All of that but the number is fixed for a
(locale, currency, decimals) triple, so it is worked out once from Babel's own pattern and
symbols (`_Layout`), and a call only groups the digits of an int the way Babel's
`NumberPattern` does (2 us). Patterns outside that plain shape (an exponent, significant
digits, the currency's name in words) go to Babel itself. `tests/test_money.py` holds the
text to `format_currency`'s for our languages and a few with other groupings and scripts.

Which one a page uses: `format_money_short` (templates: `money_short`) wherever people read
an amount, on public and staff pages alike (cards, appeal pages, donate and gift pages, the
donations list and a gift's page, dashboards): "€50", "€12.50". `format_money` keeps every
decimal where amounts are compared figure by figure with a bank or the ledger (the lines and
reserve money is moved between, payments out, bank statement lines) and on documents
(receipts, reports). Neither ever rounds.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from flask import current_app, has_app_context
from flask_babel import get_locale

from ngo.money.amount import Money
from ngo.money.currencies import minor_units

_SYMBOL = "¤"
# How Babel unquotes literal text in a pattern ('' is a quote).
_QUOTED = re.compile(r"'([^']*)'")


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


@dataclass(frozen=True, slots=True)
class _Layout:
    """Babel's rendering of one locale's currency pattern for one currency, worked out once:
    the texts before and after the number (positive, negative) with the symbol in place and
    unquoted, and the locale's decimal and group symbols and grouping sizes."""

    prefix: tuple[str, str]
    suffix: tuple[str, str]
    decimal: str
    group: str
    grouping: tuple[int, int]
    min_digits: int

    def render(self, amount_minor: int, exponent: int, digits: int) -> str:
        """`digits` is the currency's `exponent`, or 0 for a whole amount."""
        negative = amount_minor < 0
        whole, fraction = divmod(abs(amount_minor), 10**exponent)
        # NumberPattern._format_int: pad to the minimum digits, then group from the right,
        # the first group by the primary size and the others by the secondary one.
        rest = str(whole).rjust(self.min_digits, "0")
        size, grouped = self.grouping[0], ""
        while len(rest) > size:
            grouped = self.group + rest[-size:] + grouped
            rest = rest[:-size]
            size = self.grouping[1]
        number = rest + grouped
        if digits:
            number += self.decimal + f"{fraction:0{exponent}d}"
        return self.prefix[negative] + number + self.suffix[negative]


# Keys are our few languages x the currencies appeals use.
@lru_cache(maxsize=512)
def _layout(locale: Locale, currency: str) -> _Layout | None:
    """The layout of the locale's standard currency pattern for `currency`, or None where
    Babel has to render each amount itself."""
    pattern = locale.currency_formats["standard"]
    parts = (*pattern.prefix, *pattern.suffix)
    if (
        pattern.exp_prec
        or "@" in pattern.pattern
        or pattern.scale
        or any(_SYMBOL * 3 in part or part.count("'") % 2 for part in parts)
    ):
        return None
    decimal = get_decimal_symbol(locale, numbering_system="latn")
    group = get_group_symbol(locale, numbering_system="latn")
    if "'" in decimal + group:
        # Swiss grouping (1'000): Babel unquotes the whole text, apostrophes and all, and
        # writes 1000; Babel renders these amounts itself.
        return None
    # Babel replaces "¤¤" by the code, then "¤" by the symbol, then unquotes the whole text;
    # the number holds no quote, so each side can be done on its own.
    symbol = get_currency_symbol(currency, locale)

    def place(part: str) -> str:
        text = part.replace(_SYMBOL * 2, currency.upper()).replace(_SYMBOL, symbol)
        return _QUOTED.sub(lambda m: m.group(1) or "'", text)

    positive, negative = (place(part) for part in pattern.prefix)
    after, after_negative = (place(part) for part in pattern.suffix)
    return _Layout(
        prefix=(positive, negative),
        suffix=(after, after_negative),
        decimal=decimal,
        group=group,
        grouping=pattern.grouping,
        min_digits=pattern.int_prec[0],
    )


def _format(money: Money, locale: Locale, digits: int) -> str:
    layout = _layout(locale, money.currency)
    if layout is not None:
        return layout.render(money.amount_minor, minor_units(money.currency), digits)
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return format_currency(
        money.to_decimal(), money.currency, format=pattern, locale=locale, currency_digits=False
    )


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
