"""What an online payment costs, so a donor can choose to cover it: the configured fee rule
and the amount that, added to a gift, leaves the gift whole after the fee.

The rule is a percentage in basis points plus a fixed amount in minor units, per currency
(`NGO_FEE_RULE`, e.g. ``EUR=150+25,PLN=150+100``: 1.5 % + €0.25, 1.5 % + 1.00 zł). It is an
estimate shown to the donor before paying, and what a gift confirmed through Stripe holds back
from its lines until the fee Stripe actually charged is known: a worker reads that from the
payment's balance transaction after the confirmation and records it as the gift's fee
(`donations.stripe_fees`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from flask import current_app

from ngo.config import ConfigurationError

DEFAULT_FEE_RULE = "EUR=150+25,PLN=150+100,USD=290+30,GBP=150+20"
_ENTRY = re.compile(r"([A-Z]{3})=(\d{1,4})\+(\d{1,9})")


@dataclass(frozen=True)
class Fee:
    basis_points: int
    fixed_minor: int

    def covering(self, amount_minor: int) -> int:
        """What to add to `amount_minor` so that, once this fee is taken from the total, the
        gift is left whole: total = ceil((amount + fixed) / (1 - bp/10000))."""
        if amount_minor <= 0:
            return 0
        numerator = (amount_minor + self.fixed_minor) * 10_000
        denominator = 10_000 - self.basis_points
        total = -(-numerator // denominator)
        return total - amount_minor

    def charged_on(self, amount_minor: int) -> int:
        """The fee on a payment of `amount_minor`, rounded up; never more than the payment."""
        if amount_minor <= 0:
            return 0
        return min(amount_minor, -(-amount_minor * self.basis_points // 10_000) + self.fixed_minor)


def parse_fee_rule(text: str) -> dict[str, Fee]:
    """``EUR=150+25,PLN=150+100`` -> {currency: Fee}; ConfigurationError if malformed."""
    rule: dict[str, Fee] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        match = _ENTRY.fullmatch(entry)
        if match is None or int(match.group(2)) >= 10_000:
            raise ConfigurationError(
                f"NGO_FEE_RULE entries look like EUR=150+25 (basis points + fixed minor "
                f"units, below 10000 basis points), not {entry!r}."
            )
        rule[match.group(1)] = Fee(int(match.group(2)), int(match.group(3)))
    return rule


@functools.lru_cache(maxsize=8)
def _parsed(text: str) -> dict[str, Fee]:
    return parse_fee_rule(text)


def fee_rule() -> dict[str, Fee]:
    return _parsed(str(current_app.config.get("FEE_RULE") or DEFAULT_FEE_RULE))


def fee_to_cover(amount_minor: int, currency: str) -> int:
    """The estimated online payment fee a donor may add to a gift of `amount_minor`; 0 for a
    currency the rule does not name."""
    fee = fee_rule().get(currency)
    return fee.covering(amount_minor) if fee is not None else 0


def estimated_fee(amount_minor: int, currency: str) -> int:
    """The fee the rule expects on a payment of `amount_minor` (a gift with the fee covered
    included): what a gift holds back for its fee until Stripe says what it charged."""
    fee = fee_rule().get(currency)
    return fee.charged_on(amount_minor) if fee is not None else 0
