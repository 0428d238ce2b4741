"""Reading an amount a person typed: the only way from text to `Money`.

The rule (`Money.parse`), for what a staff member types into a form:

* An optional currency marker before or after the number: the ISO code (any case) or a symbol
  Babel uses for *this* currency in one of our languages ("€", "zł", "$", "₽", "₴", "Br"...).
  A marker of another currency is refused.
* Digits 0-9 only. Spaces (also no-break and narrow no-break spaces) and apostrophes are only
  ever thousands separators. Groups after the first have exactly three digits ("12,34,567"
  is refused).
* "." and ",": when both appear, the last one is the decimal separator and appears once
  ("2,100.50", "2.100,50"). One of them repeated is a thousands separator ("1.234.567").
  One of them alongside space or apostrophe grouping is the decimal separator ("2 100,50").
* A lone "." or "," (the only separator in the number) followed by exactly three digits, after
  one to three digits not starting with 0 ("2,100", "10.005"), could be either: English
  writes 2,100 for two thousand one hundred; Polish, Russian, Ukrainian and Belarusian write
  2,100 for two point one. So it is
    - refused as ambiguous in currencies with one or two decimal places (EUR, PLN, USD...);
    - a thousands separator in currencies without decimals (JPY): a yen has no fractions,
      and Babel itself writes "¥2,100";
    - in currencies with three or more decimal places (KWD, BHD, JOD, OMR, TND, LYD): "." is
      the decimal point and "," is refused. Otherwise 1.234 KWD could not be typed at all;
      none of our languages uses "." as a thousands separator.
  Any other lone separator is the decimal separator ("2100.5", "0,125", "1234,567").
* More decimal places than the currency has are refused unless the extra ones are zeros
  ("10.50" and "2100.00" in JPY are fine, "1234.005" in EUR is not).
* Negative amounts, signs, exponents, letters and other scripts' digits are refused, and so is
  anything above `MAX_AMOUNT_MINOR` minor units.
"""

from __future__ import annotations

import re
from decimal import Context, Inexact, Rounded
from functools import cache

from babel.numbers import get_currency_symbol

from ngo.config import LANGUAGES
from ngo.money.currencies import MoneyError, minor_units

#: The largest amount `Money.parse` accepts: 10 000 000 000.00 EUR, far beyond any appeal, and
#: small enough that a slipped key ("210000000000") is caught instead of stored.
MAX_AMOUNT_MINOR = 10**12

_SPACES = " \u00a0\u202f\u2009"  # space, no-break, narrow no-break (French), thin
_APOSTROPHES = "'\u2019"  # Swiss grouping: 1'234.50, also with U+2019
_MINUS_SIGNS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash
_SEPARATORS = ".," + _SPACES + _APOSTROPHES
_NUMBER = re.compile(rf"[0-9]+(?:[{re.escape(_SEPARATORS)}][0-9]+)*")
_MAX_TEXT_LENGTH = 64
# Enough precision that turning typed text into minor units can never round.
_EXACT = Context(prec=200, traps=[Inexact, Rounded])


@cache
def _markers(currency: str) -> tuple[str, ...]:
    """Texts that may stand for `currency` next to a typed number, longest first."""
    found = {currency} | {get_currency_symbol(currency, language) for language in LANGUAGES}
    usable = {m for m in found if m and not any(c.isdigit() for c in m)}
    return tuple(sorted(usable, key=len, reverse=True))


def _strip_marker(text: str, currency: str) -> str:
    folded = text.casefold()
    for marker in _markers(currency):
        if folded.startswith(marker.casefold()):
            return text[len(marker) :].strip()
        if folded.endswith(marker.casefold()):
            return text[: -len(marker)].strip()
    return text


def _kind(separator: str) -> str:
    if separator in _SPACES:
        return "space"
    if separator in _APOSTROPHES:
        return "apostrophe"
    return separator


def parse_minor(text: object, currency: str) -> int:
    if not isinstance(text, str):
        raise MoneyError(f"an amount must be text, not {type(text).__name__}", "junk")
    original = text.strip()
    if not original:
        raise MoneyError("enter an amount", "empty")
    if len(original) > _MAX_TEXT_LENGTH:
        raise MoneyError("that is too long to be an amount", "too_long")
    number = _strip_marker(original, currency)
    if not number:
        raise MoneyError("enter an amount", "empty")
    if not _NUMBER.fullmatch(number):
        if any(sign in number for sign in _MINUS_SIGNS) or number.startswith("("):
            raise MoneyError(f"“{original}”: negative amounts are not accepted", "negative")
        raise MoneyError(
            f"“{original}” is not an amount in {currency}: type digits like 2100 or 2100.50, "
            f"optionally with {' or '.join(_markers(currency))}",
            "junk",
        )

    exponent = minor_units(currency)
    parts = re.split(rf"([{re.escape(_SEPARATORS)}])", number)
    groups, separators = parts[0::2], parts[1::2]
    decimal_at = _decimal_separator_index(original, groups, separators, exponent)

    grouping = separators if decimal_at is None else separators[:decimal_at]
    if len({_kind(s) for s in grouping}) > 1:
        raise MoneyError(
            f"“{original}” mixes different thousands separators; type it as 2100.50", "junk"
        )
    whole_groups = groups if decimal_at is None else groups[: decimal_at + 1]
    fraction = "" if decimal_at is None else groups[-1]
    if len(whole_groups) > 1 and (
        not 1 <= len(whole_groups[0]) <= 3
        or whole_groups[0].startswith("0")
        or any(len(g) != 3 for g in whole_groups[1:])
    ):
        raise MoneyError(
            f"“{original}”: thousands separators must separate groups of three digits", "junk"
        )

    value = _EXACT.create_decimal(f"{''.join(whole_groups)}.{fraction or '0'}")
    scaled = value.scaleb(exponent, _EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        places = "no decimal places" if exponent == 0 else f"only {exponent} decimal places"
        raise MoneyError(f"“{original}”: {currency} has {places}", "too_many_decimals")
    amount = int(scaled)
    if amount > MAX_AMOUNT_MINOR:
        raise MoneyError(f"“{original}” is larger than any amount accepted here", "too_large")
    return amount


def _decimal_separator_index(
    original: str, groups: list[str], separators: list[str], exponent: int
) -> int | None:
    """Which separator is the decimal one (it must be the last), or None for a whole number."""
    marks = [i for i, s in enumerate(separators) if s in ".,"]
    if not marks:
        return None
    last = marks[-1]
    if len({separators[i] for i in marks}) == 2:
        decimal_at: int | None = last
        if separators.count(separators[last]) != 1:
            raise MoneyError(
                f"“{original}” has more than one decimal separator; type it as 2100.50", "junk"
            )
    elif len(marks) > 1:
        decimal_at = None  # "1.234.567": repeated, so grouping
    elif len(separators) > 1:
        decimal_at = last  # "2 100,50": spaces group, so the mark is the decimal point
    else:
        decimal_at = _lone_separator(original, groups, separators[last], exponent)
    if decimal_at is not None and decimal_at != len(separators) - 1:
        raise MoneyError(
            f"“{original}”: the decimal separator must come after the thousands separators",
            "junk",
        )
    return decimal_at


def _lone_separator(original: str, groups: list[str], mark: str, exponent: int) -> int | None:
    before, after = groups
    looks_like_thousands = len(after) == 3 and 1 <= len(before) <= 3 and before[0] != "0"
    if not looks_like_thousands:
        return 0
    if exponent == 0:
        return None
    if exponent >= 3 and mark == ".":
        return 0
    whole = before + after
    hint = f"Type {whole} without a thousands separator"
    if not after[exponent:].strip("0"):
        hint += f", or {before}.{after[:exponent]} if you meant decimals"
    raise MoneyError(
        f"“{original}” is ambiguous: {whole} or {before}.{after}? {hint}.", "ambiguous"
    )
