"""The reconciliation queue: credit lines the importer could not match, for a treasurer to make
into a gift to an appeal (or one of its budget lines) or to mark as not a gift. A gift made
here is confirmed through `confirmation.confirm_donation`, like every other gift; both
decisions are audited (ids and kinds only)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select

from ngo.accounts.models import Organisation, User
from ngo.audit import record_change
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations.confirmation import confirm_donation
from ngo.donations.models import (
    Donation,
    DonationStatus,
    LineStatus,
    PaymentMethod,
    StatementLine,
)
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow


class ReconciliationError(RuleError):
    pass


def queued_lines(organisation: Organisation, limit: int = 200) -> list[StatementLine]:
    return list(
        db.session.scalars(
            select(StatementLine)
            .where(
                StatementLine.organisation_id == organisation.id,
                StatementLine.status == LineStatus.QUEUED.value,
            )
            .order_by(StatementLine.booking_date, StatementLine.id)
            .limit(limit)
        )
    )


def queued_count(organisation_id: int) -> int:
    """For the treasurer's dashboard: how many lines wait."""
    return int(
        db.session.scalar(
            select(func.count(StatementLine.id)).where(
                StatementLine.organisation_id == organisation_id,
                StatementLine.status == LineStatus.QUEUED.value,
            )
        )
        or 0
    )


def _still_queued(line: StatementLine) -> None:
    db.session.refresh(line, with_for_update=True)
    if line.status != LineStatus.QUEUED:
        raise ReconciliationError("this statement line was already dealt with")


def assign_line(
    line: StatementLine,
    appeal: Appeal,
    actor: User,
    budget_line: BudgetLine | None = None,
) -> Donation:
    """Make a queued credit line a confirmed gift to `appeal` (designated to `budget_line`)."""
    if appeal.organisation_id != line.organisation_id:
        raise ReconciliationError("choose an appeal of your organisation", field="appeal")
    if budget_line is not None and budget_line.appeal_id != appeal.id:
        raise ReconciliationError("the budget line is not one of this appeal's", field="line")
    _still_queued(line)
    if line.amount_minor <= 0:
        raise ReconciliationError("only money received can become a gift")
    donation = Donation(
        organisation_id=line.organisation_id,
        appeal_id=appeal.id,
        budget_line_id=budget_line.id if budget_line is not None else None,
        amount_minor=line.amount_minor,
        currency=line.currency,
        method=PaymentMethod.BANK_TRANSFER.value,
        status=DonationStatus.PENDING.value,
        recorded_by_id=actor.id,
        received_on=line.booking_date,
    )
    db.session.add(donation)
    db.session.flush()
    confirm_donation(
        donation,
        occurred_at=datetime.combine(line.booking_date, time()),
        actor_id=actor.id,
    )
    line.status = LineStatus.ASSIGNED.value
    line.donation_id = donation.id
    line.resolved_by_id = actor.id
    line.resolved_at = utcnow()
    record_change(
        line,
        actor,
        "statement_line.assigned",
        appeal_id=appeal.id,
        budget_line_id=budget_line.id if budget_line is not None else None,
        donation_id=donation.id,
        reason=line.queue_reason,
    )
    db.session.flush()
    return donation


def mark_unrelated(line: StatementLine, actor: User) -> None:
    """Say a queued line is not a gift (a grant, a refund of the organisation's own payment)."""
    _still_queued(line)
    line.status = LineStatus.UNRELATED.value
    line.resolved_by_id = actor.id
    line.resolved_at = utcnow()
    record_change(line, actor, "statement_line.unrelated", reason=line.queue_reason)
    db.session.flush()
