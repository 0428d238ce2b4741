"""Which currencies exist and how many decimal places each has, from Babel's copy of CLDR.

The exponent of a currency (EUR 2, JPY 0, KWD 3) comes from the same data the formatting
uses, so stored amounts and displayed amounts always agree. `tests/test_money.py` pins the
exponents of the currencies we use: if a Babel upgrade ever changed one, every stored amount in
that currency would change meaning, and the suite has to fail before that reaches the database.
"""

from __future__ import annotations

from functools import cache

from babel.numbers import get_currency_precision, list_currencies

# "No currency" and "testing" codes are in CLDR but never belong on an appeal.
_NOT_MONEY = frozenset({"XXX", "XTS"})


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


def check_currency(currency: object) -> str:
    """Return the code if CLDR knows it. Historical codes (HRK, BYR) are kept on purpose:
    amounts stored before a currency was replaced must still load."""
    if not isinstance(currency, str) or currency not in _known_currencies():
        raise MoneyError(
            f"{currency!r} is not an ISO 4217 currency code (three capital letters, e.g. 'EUR')",
            "unknown_currency",
        )
    return currency


# Filled as currencies are asked for: a list page asks for forty amounts' decimals.
_EXPONENTS: dict[str, int] = {}


def minor_units(currency: str) -> int:
    """How many decimal places the currency has (EUR 2, JPY 0, KWD 3), from CLDR via Babel."""
    exponent = _EXPONENTS.get(currency) if isinstance(currency, str) else None
    if exponent is None:
        exponent = _EXPONENTS[currency] = get_currency_precision(check_currency(currency))
    return exponent
