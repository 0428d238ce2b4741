"""What the public appeal page shows of the money paid out: each approved disbursement's date,
amount and public description per budget line, and nothing about the payee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Select, bindparam, select

from ngo.donations.models import Disbursement, DisbursementStatus
from ngo.extensions import db
from ngo.money import Money


@dataclass(frozen=True)
class PublicSpending:
    """What the public page shows of one approved payment: nothing about the payee."""

    budget_line_id: int
    paid_on: date
    amount: Money
    description: str


@cache
def _public_spending_statement() -> Select[int, date, int, str, str]:
    return (
        select(
            Disbursement.budget_line_id,
            Disbursement.paid_on,
            Disbursement.amount_minor,
            Disbursement.currency,
            Disbursement.public_description,
        )
        .where(
            Disbursement.appeal_id == bindparam("appeal_id"),
            Disbursement.status == DisbursementStatus.APPROVED.value,
        )
        .order_by(Disbursement.paid_on, Disbursement.id)
    )


def public_spending(appeal_id: int) -> dict[int, list[PublicSpending]]:
    """Approved payments per budget line, oldest first. Read on the connection with a
    statement built once: the public page runs it on every fresh render."""
    rows = db.session.connection().execute(_public_spending_statement(), {"appeal_id": appeal_id})
    spending: dict[int, list[PublicSpending]] = {}
    for line_id, paid_on, amount, currency, description in rows:
        spending.setdefault(line_id, []).append(
            PublicSpending(line_id, paid_on, Money(amount, currency), description)
        )
    return spending
