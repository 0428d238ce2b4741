"""Sharing a gift among an appeal's budget lines. Pure functions over integers: the rules tests
call directly, the same ones the donate form uses to say what a gift would fund. Which lines
a gift may fund, tier by tier, and whether the appeal accepts gifts at all, are campaigns'
rule (`ngo.campaigns.giving`), which the public pages share."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ngo.campaigns.giving import LineState, accepting_gifts, tiers
from ngo.campaigns.models import AllocationRule, OverfundingPolicy

__all__ = [
    "Allocation",
    "LineState",
    "accepting_gifts",
    "allocate",
    "share_back",
    "tiers",
]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Allocation:
    lines: dict[int, int] = field(default_factory=dict)
    # Held for the appeal (giving had closed); or passed to the organisation's general fund.
    reserve_minor: int = 0
    general_fund_minor: int = 0

    @property
    def total_minor(self) -> int:
        return sum(self.lines.values()) + self.reserve_minor + self.general_fund_minor


def allocate(
    amount_minor: int,
    lines: Sequence[LineState],
    *,
    rule: AllocationRule,
    policy: OverfundingPolicy,
    designated_line_id: int | None = None,
) -> Allocation:
    """Where `amount_minor` goes. A designated gift funds its line up to what the line still
    needs; the rest, like a gift for the whole appeal, follows the appeal's rule tier by tier
    (essential lines first, then the stretch lines unless the policy stops at the essential
    ones). What no line needs goes to the general fund under that policy, else to the appeal's
    reserve, where a treasurer can reallocate it."""
    if amount_minor < 0:
        raise ValueError("an allocation is of a positive amount")
    result: dict[int, int] = {}
    left = amount_minor
    funded = {line.id: line.funded_minor for line in lines}

    def state(line: LineState) -> LineState:
        return LineState(line.id, line.amount_minor, funded[line.id], line.essential, line.priority)

    if designated_line_id is not None:
        line = next((line for line in lines if line.id == designated_line_id), None)
        if line is None:
            raise ValueError("the designated line is not one of the appeal's")
        take = min(left, line.need_minor)
        if take:
            result[line.id] = take
            funded[line.id] += take
            left -= take
    for tier in tiers(lines, policy):
        if left == 0:
            break
        current = [state(line) for line in tier]
        need = sum(line.need_minor for line in current)
        amount = min(left, need)
        if rule is AllocationRule.PRO_RATA:
            shares = share_back(amount, {line.id: line.need_minor for line in current})
        else:
            shares = {}
            rest = amount
            for line in current:
                take = min(rest, line.need_minor)
                if take:
                    shares[line.id] = take
                    rest -= take
        for line_id, share in shares.items():
            result[line_id] = result.get(line_id, 0) + share
            funded[line_id] += share
        left -= amount
    if policy is OverfundingPolicy.GENERAL_FUND:
        return Allocation(result, general_fund_minor=left)
    return Allocation(result, reserve_minor=left)


def share_back(amount_minor: int, parts: Mapping[K, int]) -> dict[K, int]:
    """Split `amount_minor` over `parts` in proportion to each part: a pro-rata allocation (the
    parts are what each line needs) and a partial refund (what each account received). The
    remainder of the integer division goes one unit at a time to the largest fractions
    (Hamilton's method), so the shares add up to `amount_minor` exactly and none exceeds its
    part."""
    total = sum(parts.values())
    if not 0 <= amount_minor <= total:
        raise ValueError("the amount to share is more than the parts hold")
    if total == 0:
        return {}
    shares: dict[K, int] = {}
    remainders = []
    for key, part in sorted(parts.items(), key=lambda item: str(item[0])):
        share, remainder = divmod(amount_minor * part, total)
        shares[key] = share
        remainders.append((-remainder, str(key), key))
    left = amount_minor - sum(shares.values())
    for _, _, key in sorted(remainders, key=lambda r: (r[0], r[1]))[:left]:
        shares[key] += 1
    return {key: share for key, share in shares.items() if share}
