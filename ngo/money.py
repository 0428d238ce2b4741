"""Money: an integer number of minor units plus an ISO 4217 code, never a float.

Floats cannot hold 0.10 exactly, and a fundraising total that drifts by a cent is a
bookkeeping error an auditor will find. So every amount is an `int` of minor units (cents,
grosze, fils) next to its currency code, and the only way in from text is `Money.parse`, which
goes through `Decimal` and refuses anything it would have to guess.

The exponent of a currency (EUR 2, JPY 0, KWD 3) comes from Babel's copy of the CLDR currency
data, the same data `format_money` uses, so stored amounts and displayed amounts always agree.
`tests/test_money.py` pins the exponents of the currencies we use: if a Babel upgrade ever
changed one, every stored amount in that currency would change meaning, and the suite has to
fail before that reaches the database.

Parsing rule (`Money.parse`), for what a staff member types into a form:

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

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, Rounded
from fractions import Fraction
from functools import cache
from typing import Self

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    list_currencies,
)
from flask import current_app, has_app_context
from flask_babel import get_locale

from ngo.config import LANGUAGES

__all__ = [
    "MAX_AMOUNT_MINOR",
    "Money",
    "MoneyError",
    "format_money",
    "format_money_short",
    "format_plain",
    "minor_units",
    "percent_of",
    "sum_money",
]

#: The largest amount `Money.parse` accepts: 10 000 000 000.00 EUR, far beyond any appeal, and
#: small enough that a slipped key ("210000000000") is caught instead of stored.
MAX_AMOUNT_MINOR = 10**12

# "No currency" and "testing" codes are in CLDR but never belong on an appeal.
_NOT_MONEY = frozenset({"XXX", "XTS"})

_SPACES = " \u00a0\u202f\u2009"  # space, no-break, narrow no-break (French), thin
_APOSTROPHES = "'\u2019"  # Swiss grouping: 1'234.50, also with U+2019
_MINUS_SIGNS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash
_SEPARATORS = ".," + _SPACES + _APOSTROPHES
_NUMBER = re.compile(rf"[0-9]+(?:[{re.escape(_SEPARATORS)}][0-9]+)*")
_MAX_TEXT_LENGTH = 64
# Enough precision that turning typed text into minor units can never round.
_EXACT = Context(prec=200, traps=[Inexact, Rounded])


class MoneyError(ValueError):
    """An amount or currency that cannot be money. `code` lets a form show its own message.

    Codes: unknown_currency, invalid_amount, currency_mismatch, empty, too_long, negative,
    junk, ambiguous, too_many_decimals, too_large.
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies()) - _NOT_MONEY


def _check_currency(currency: object) -> str:
    """Return the code if CLDR knows it. Historical codes (HRK, BYR) are kept on purpose:
    amounts stored before a currency was replaced must still load."""
    if not isinstance(currency, str) or currency not in _known_currencies():
        raise MoneyError(
            f"{currency!r} is not an ISO 4217 currency code (three capital letters, e.g. 'EUR')",
            "unknown_currency",
        )
    return currency


def minor_units(currency: str) -> int:
    """How many decimal places the currency has (EUR 2, JPY 0, KWD 3), from CLDR via Babel."""
    return get_currency_precision(_check_currency(currency))


def _is_plain_int(value: object) -> bool:
    # bool is an int subclass, and True cents is a bug, not an amount.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `amount_minor` minor units (cents) of the ISO 4217 `currency`.

    Arithmetic and ordering work only within one currency: adding EUR to PLN is a bug that
    must fail loudly, not a number. Equality across currencies is simply False.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        if not _is_plain_int(self.amount_minor):
            raise MoneyError(
                f"amount_minor must be an int of minor units, not "
                f"{type(self.amount_minor).__name__} {self.amount_minor!r}",
                "invalid_amount",
            )

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Self:
        """Read an amount typed by a person; see the module docstring for the exact rule."""
        return cls(_parse_minor(text, _check_currency(currency)), currency)

    @property
    def is_zero(self) -> bool:
        """A property, so `{% if m.is_zero %}` in a template is not always true."""
        return self.amount_minor == 0

    def to_decimal(self) -> Decimal:
        """The exact amount in major units (2100 EUR cents -> Decimal('21.00')), for Babel."""
        return Decimal(f"{self.amount_minor}E-{minor_units(self.currency)}")

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to integer `weights`, losing no minor unit.

        Largest remainder method: each part gets its floor share, and the units left over go
        one each to the parts with the largest remainders (earlier parts win ties). The parts
        always add up to exactly this amount.
        """
        if not weights or not all(_is_plain_int(w) and w >= 0 for w in weights):
            raise MoneyError("weights must be non-negative ints", "invalid_amount")
        total_weight = sum(weights)
        if total_weight == 0:
            raise MoneyError("at least one weight must be positive", "invalid_amount")
        sign = -1 if self.amount_minor < 0 else 1
        amount = abs(self.amount_minor)
        shares = [amount * w // total_weight for w in weights]
        left_over = amount - sum(shares)
        by_remainder = sorted(
            range(len(weights)), key=lambda i: (-(amount * weights[i] % total_weight), i)
        )
        for i in by_remainder[:left_over]:
            shares[i] += 1
        return [Money(sign * share, self.currency) for share in shares]

    def _same_currency(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise MoneyError(
                f"cannot {operation} {self.currency} and {other.currency}", "currency_mismatch"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float | Decimal | Fraction | bool):
            raise MoneyError(
                f"Money is multiplied only by an int, not {type(factor).__name__}; "
                "use allocate() to split by ratios",
                "invalid_amount",
            )
        if not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount_minor < other.amount_minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount_minor >= other.amount_minor

    def __bool__(self) -> bool:
        """Refused: `if money:` could mean "is set" or "is not zero", and zero donations and
        missing ones must not be confused. Write `money is not None` or `money.is_zero`."""
        raise TypeError("Money has no truth value; use `is not None` or `.is_zero`")


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Add up amounts of one currency. The currency is required so that an empty list still
    has one (built-in `sum` would return the int 0) and a stray other currency fails."""
    total = Money.zero(currency)
    for amount in amounts:
        total += amount
    return total


def percent_of(part: Money, whole: Money) -> int:
    """Whole percent of `whole` that `part` makes up, for progress bars: 0-100, rounded down
    so that a bar never shows 100 % before the goal is really met. A zero (or negative) goal
    gives 0 rather than a division error."""
    part._same_currency(whole, "compare")
    if whole.amount_minor <= 0:
        return 0
    return max(0, min(100, part.amount_minor * 100 // whole.amount_minor))


# -- Formatting ----------------------------------------------------------------------------


def _resolve_locale(locale: str | Locale | None) -> Locale:
    """The given locale, else the current request's (Flask-Babel), else English."""
    if locale is None:
        if has_app_context() and "babel" in current_app.extensions:
            locale = get_locale()
        if locale is None:
            locale = "en"
    return locale if isinstance(locale, Locale) else Locale.parse(locale)


def format_money(money: Money, locale: str | Locale | None = None) -> str:
    """Locale-correct display with all decimals: en "€2,100.00", pl "2 100,00 €" (no-break
    spaces where CLDR puts them). Babel decides symbol, order and separators."""
    return format_currency(money.to_decimal(), money.currency, locale=_resolve_locale(locale))


def format_money_short(money: Money, locale: str | Locale | None = None) -> str:
    """Like `format_money` but without ",00" when the amount is whole ("€231 of €4,400"), for
    progress bars and headlines. Amounts with cents keep them: rounding would misstate."""
    if money.amount_minor % 10 ** minor_units(money.currency):
        return format_money(money, locale)
    resolved = _resolve_locale(locale)
    # The locale's own currency pattern with the fraction digits removed, so that symbol
    # position, spacing and grouping stay exactly as CLDR has them.
    pattern = copy.copy(resolved.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return format_currency(
        money.to_decimal(), money.currency, format=pattern, locale=resolved, currency_digits=False
    )


def format_plain(money: Money) -> str:
    """Canonical, locale-free text ("2100.50", JPY "2100", KWD "1.250") for form fields and
    CSV: no symbol, no grouping, "." as decimal point. `Money.parse` reads it back exactly."""
    exponent = minor_units(money.currency)
    sign = "-" if money.amount_minor < 0 else ""
    whole, fraction = divmod(abs(money.amount_minor), 10**exponent)
    if exponent == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{exponent}d}"


# -- Parsing -------------------------------------------------------------------------------


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


def _parse_minor(text: object, currency: str) -> int:
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

    exponent = get_currency_precision(currency)
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
