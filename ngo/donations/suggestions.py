"""Suggested amounts on the donate form, derived from what the budget lines still need.

The rule: take the line with the smallest open need among the lines a gift for the whole
appeal would fund now (essential lines first; the stretch lines once the essential ones are
funded, unless the policy stops there; `allocation.tiers`). Suggest a twentieth, a tenth and a
quarter of that need, each rounded down to a "round" amount (1, 2 or 5 times a power of ten
of the currency's major unit, at least 5 units), and the whole need itself, which completes
that line. Duplicates and amounts above the form's maximum are left out. An appeal whose lines
need nothing suggests nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ngo.campaigns.giving import line_states
from ngo.campaigns.models import Appeal, OverfundingPolicy
from ngo.donations.allocation import tiers
from ngo.money import Money, minor_units

FRACTIONS = (20, 10, 4)
SMALLEST_UNITS = 5


@dataclass(frozen=True)
class Suggestion:
    money: Money
    completes_line_id: int | None = None


def round_down(amount_minor: int, currency: str) -> int:
    """The largest 1, 2 or 5 times 10**k major units not above `amount_minor`."""
    unit = 10 ** minor_units(currency)
    whole = amount_minor // unit
    if whole < SMALLEST_UNITS:
        return SMALLEST_UNITS * unit
    power = 1
    while power * 10 <= whole:
        power *= 10
    for step in (5, 2, 1):
        if step * power <= whole:
            return step * power * unit
    return power * unit


def suggested_amounts(appeal: Appeal, maximum_minor: int) -> list[Suggestion]:
    states = line_states(appeal)
    for tier in tiers(states, OverfundingPolicy(appeal.overfunding_policy)):
        open_lines = [line for line in tier if line.need_minor > 0]
        if open_lines:
            break
    else:
        return []
    smallest = min(open_lines, key=lambda line: (line.need_minor, line.id))
    need, currency = smallest.need_minor, appeal.currency
    amounts = sorted({round_down(need // n, currency) for n in FRACTIONS})
    suggestions = [Suggestion(Money(a, currency)) for a in amounts if a < need]
    suggestions.append(Suggestion(Money(need, currency), completes_line_id=smallest.id))
    return [s for s in suggestions if s.money.amount_minor <= maximum_minor]
