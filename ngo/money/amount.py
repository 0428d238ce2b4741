"""Money: an integer number of minor units plus an ISO 4217 code, never a float.

Floats cannot hold 0.10 exactly, and a fundraising total that drifts by a cent is a
bookkeeping error an auditor will find. So every amount is an `int` of minor units (cents,
grosze, fils) next to its currency code, and the only way in from text is `Money.parse`
(`ngo.money.parsing`), which goes through `Decimal` and refuses anything it would have to guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Self

from ngo.money.currencies import MoneyError, check_currency, minor_units
from ngo.money.parsing import parse_minor


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
        check_currency(self.currency)
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
        """Read an amount typed by a person; `ngo.money.parsing` states the exact rule."""
        return cls(parse_minor(text, check_currency(currency)), currency)

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
