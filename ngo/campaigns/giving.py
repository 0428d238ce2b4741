"""Whether an appeal accepts gifts: the one rule the donate form refuses by
(`donations.giving.start_gift`), the appeal page and the cards show their call to give by,
and the allocation of a gift follows (`donations.allocation`, tier by tier).

An appeal accepts gifts while it is listed on the public site and still asks for money under
its over-funding policy: its essential lines are not all funded, or (policy "stretch") any
line is not, or (policy "general fund") always, what no line needs going to the general fund.
Pure functions over line states, so that a list of cards reads its lines in one query and
asks the same question as the donate form does of one loaded appeal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Select, bindparam, select

from ngo.campaigns.models import Appeal, BudgetLine, OverfundingPolicy
from ngo.campaigns.visibility import ListingState, is_listed
from ngo.extensions import db


class LineState(NamedTuple):
    """A budget line's figures as the giving rules read them. A named tuple: a list page
    makes eighty of them, and a frozen dataclass cost three times as much to make."""

    id: int
    amount_minor: int
    funded_minor: int
    essential: bool
    priority: int = 1

    @property
    def need_minor(self) -> int:
        return max(self.amount_minor - self.funded_minor, 0)


def tiers(lines: Sequence[LineState], policy: OverfundingPolicy) -> list[list[LineState]]:
    """The lines a gift for the whole appeal may fund, tier by tier, in priority order."""
    ordered = sorted(lines, key=lambda line: (line.priority, line.id))
    essential = [line for line in ordered if line.essential]
    stretch = [line for line in ordered if not line.essential]
    if policy is OverfundingPolicy.STOP:
        return [essential]
    return [essential, stretch]


def open_need_minor(lines: Sequence[LineState], policy: OverfundingPolicy) -> int:
    return sum(line.need_minor for tier in tiers(lines, policy) for line in tier)


def accepting_gifts(lines: Sequence[LineState], policy: OverfundingPolicy) -> bool:
    """Whether the appeal still asks for money under its over-funding policy: a line of its
    `tiers` still needs some (asked without ordering the tiers: every card asks it)."""
    if policy is OverfundingPolicy.GENERAL_FUND:
        return True
    stop = policy is OverfundingPolicy.STOP
    return any(line.need_minor > 0 for line in lines if line.essential or not stop)


class GivingState(ListingState, Protocol):
    """What the rule reads of an appeal: an Appeal, or a row of a list's columns."""

    @property
    def overfunding_policy(self) -> str: ...


def open_for_gifts(
    appeal: GivingState, lines: Sequence[LineState], now: datetime | None = None
) -> bool:
    """Listed on the public site, and still asking for money under its over-funding policy."""
    return is_listed(appeal, now) and accepting_gifts(
        lines, OverfundingPolicy(appeal.overfunding_policy)
    )


def line_states(appeal: Appeal) -> list[LineState]:
    """The states of a loaded appeal's budget lines."""
    return [
        LineState(line.id, line.amount_minor, line.funded_minor, line.essential, line.priority)
        for line in appeal.budget_lines
    ]


def appeal_open_for_gifts(appeal: Appeal) -> bool:
    """`open_for_gifts` of a loaded appeal and its lines."""
    return open_for_gifts(appeal, line_states(appeal))


class LineRow(NamedTuple):
    """A budget line as lists read it: its state, and the appeal's spending from it."""

    appeal_id: int
    state: LineState
    spent_minor: int


@cache
def _lines_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            BudgetLine.appeal_id,
            BudgetLine.id,
            BudgetLine.amount_minor,
            BudgetLine.funded_minor,
            BudgetLine.essential,
            BudgetLine.priority,
            BudgetLine.spent_minor,
        )
        .where(BudgetLine.appeal_id.in_(bindparam("ids", expanding=True)))
        .order_by(BudgetLine.appeal_id, BudgetLine.priority, BudgetLine.id)
    )


def lines_of(appeal_ids: Iterable[int]) -> dict[int, list[LineRow]]:
    """The budget lines of these appeals, in one query (plain rows: a list reads a handful of
    lines of each of twenty appeals, and ORM objects would cost more than the page)."""
    ids = list(appeal_ids)
    lines: dict[int, list[LineRow]] = {appeal_id: [] for appeal_id in ids}
    if not ids:
        return lines
    rows = db.session.connection().execute(_lines_statement(), {"ids": ids})
    for appeal_id, line_id, amount, funded, essential, priority, spent in rows:
        state = LineState(line_id, int(amount), int(funded), bool(essential), int(priority))
        lines[appeal_id].append(LineRow(appeal_id, state, int(spent)))
    return lines
