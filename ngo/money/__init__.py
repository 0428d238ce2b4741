"""Money: an integer number of minor units plus an ISO 4217 code, never a float.

`amount` holds the value type and its arithmetic, `currencies` which codes exist and their
decimal places (CLDR via Babel), `parsing` the rule for reading what a person typed, and
`formatting` the display through Babel. Callers import from here.
"""

from ngo.money.amount import Money, percent_of, sum_money
from ngo.money.currencies import MoneyError, minor_units
from ngo.money.formatting import format_money, format_money_short, format_plain
from ngo.money.parsing import MAX_AMOUNT_MINOR

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
