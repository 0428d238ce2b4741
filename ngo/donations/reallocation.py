"""Moving money an appeal holds: from one budget line to another, from the appeal's reserve to
a line (or back), and from the reserve to the organisation's general fund.

Each move is one balanced ledger transaction between two fund accounts of the appeal, in the
appeal's currency, and moves the lines' `funded` counters in the same transaction. It never
takes more than the source holds: a line holds what it was funded less what was spent from it;
the reserve holds its balance. `raised` does not change: the money was given to the appeal,
and a transfer to the general fund says where it went (its journal line keeps the appeal's id).

Lock order: the appeal first (campaigns.funding.lock_for_money), then the ledger, then the
audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns import funding
from ngo.campaigns.models import Appeal
from ngo.donations import chart, ledger
from ngo.donations.errors import ReallocationError
from ngo.donations.ledger import Posting
from ngo.donations.models import JournalLine, LedgerTransaction
from ngo.extensions import db

RESERVE = "reserve"
GENERAL_FUND = "general"
REALLOCATION_KIND = "reallocation"
GENERAL_FUND_TRANSFER_KIND = "general_fund_transfer"
# Neutral words: the public ledger may show the memo.
MEMOS = {REALLOCATION_KIND: "Reallocation", GENERAL_FUND_TRANSFER_KIND: "To the general fund"}
AUDIT_ACTIONS = {
    REALLOCATION_KIND: "appeal.funds_reallocated",
    GENERAL_FUND_TRANSFER_KIND: "appeal.reserve_to_general_fund",
}


@dataclass(frozen=True)
class Holdings:
    """What an appeal's fund accounts hold now, in minor units of its currency."""

    reserve_minor: int
    # Per budget line: funded less spent, what may still be moved away.
    lines: dict[int, int]

    def of(self, place: str) -> int:
        if place == RESERVE:
            return self.reserve_minor
        return self.lines.get(int(place), 0)


def holdings(appeal: Appeal) -> Holdings:
    """The appeal's reserve and the movable part of each line, summed from the journal."""
    stmt = (
        select(JournalLine.account, func.sum(JournalLine.amount_minor))
        .where(JournalLine.appeal_id == appeal.id, JournalLine.currency == appeal.currency)
        .group_by(JournalLine.account)
    )
    balances = {account: int(total) for account, total in db.session.execute(stmt)}
    lines = {
        line.id: max(
            -balances.get(chart.line_fund(line.id), 0) - balances.get(chart.line_spent(line.id), 0),
            0,
        )
        for line in appeal.budget_lines
    }
    return Holdings(max(-balances.get(chart.appeal_reserve(appeal.id), 0), 0), lines)


def _account(appeal: Appeal, place: str) -> tuple[str, int | None]:
    """The fund account a place names ("reserve", "general" or a budget line's id)."""
    if place == RESERVE:
        return chart.appeal_reserve(appeal.id), None
    if place == GENERAL_FUND:
        return chart.GENERAL_FUND, None
    if place.isdigit() and int(place) in {line.id for line in appeal.budget_lines}:
        return chart.line_fund(int(place)), int(place)
    raise ReallocationError(_l("Choose one of the appeal's budget lines or its reserve."))


def move_funds(
    appeal: Appeal, *, source: str, target: str, amount_minor: int, actor: User
) -> LedgerTransaction:
    """Move `amount_minor` of the appeal's currency from `source` to `target`: "reserve", a
    budget line's id as text, or (from the reserve only) "general" for the general fund."""
    if type(amount_minor) is not int or amount_minor <= 0:
        raise ReallocationError(_l("Enter an amount above zero."), field="amount")
    if source == GENERAL_FUND:
        raise ReallocationError(
            _l("Money in the general fund is no longer the appeal's."), field="source"
        )
    if target == GENERAL_FUND and source != RESERVE:
        raise ReallocationError(
            _l("Only the appeal's reserve can be passed to the general fund."), field="source"
        )
    if source == target:
        raise ReallocationError(_l("Choose two different places."), field="target")
    appeal = funding.lock_for_money(appeal.id)
    source_account, source_line = _account(appeal, source)
    target_account, target_line = _account(appeal, target)
    if amount_minor > holdings(appeal).of(source):
        raise ReallocationError(_l("That is more than the source holds."), field="amount")
    if target_line is not None:
        line = next(line for line in appeal.budget_lines if line.id == target_line)
        # Allocation never funds a line beyond its amount; neither does a move.
        if amount_minor > line.amount_minor - line.funded_minor:
            raise ReallocationError(_l("That is more than the line still needs."), field="amount")
    kind = GENERAL_FUND_TRANSFER_KIND if target == GENERAL_FUND else REALLOCATION_KIND
    currency = appeal.currency
    transaction = ledger.post(
        organisation_id=appeal.organisation_id,
        kind=kind,
        postings=[
            Posting(source_account, amount_minor, currency, appeal.id, source_line),
            Posting(target_account, -amount_minor, currency, appeal.id, target_line),
        ],
        memo=MEMOS[kind],
        appeal_id=appeal.id,
    )
    funded: dict[int, int] = {}
    if source_line is not None:
        funded[source_line] = -amount_minor
    if target_line is not None:
        funded[target_line] = funded.get(target_line, 0) + amount_minor
    funding.move_counters(appeal, funded=funded)
    audit.record_change(
        appeal,
        actor,
        AUDIT_ACTIONS[kind],
        source=source,
        target=target,
        amount_minor=amount_minor,
        currency=currency,
        ledger_transaction=transaction.id,
    )
    return transaction
