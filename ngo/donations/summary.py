"""What the treasurer's dashboard shows of donations, as plain data (the dashboard composes the
domains' summaries and imports no model): gifts waiting for a second person, payments that
failed or are disputed, bank statement lines waiting in the reconciliation queue,

and payments out (disbursements) waiting for a second person's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from ngo.campaigns.models import Appeal
from ngo.donations import reconciliation
from ngo.donations.models import Disbursement, DisbursementStatus, Donation, DonationStatus
from ngo.extensions import db
from ngo.money import Money
from ngo.timeutil import utcnow

# Failed payments older than this are history, not work.
RECENT_FAILURES_DAYS = 30
LIST_LIMIT = 20


@dataclass(frozen=True)
class GiftSummary:
    public_id: str
    appeal_slug: str
    amount: Money
    method: str
    status: str
    day: date
    # The acting user recorded it: they may not approve it (four eyes).
    recorded_by_you: bool = False


@dataclass(frozen=True)
class TreasurySummary:
    awaiting_approval: list[GiftSummary]
    awaiting_approval_count: int
    payment_problems: list[GiftSummary]
    payment_problem_count: int
    # Statement lines the importer could not match (donations.reconciliation).
    unmatched_statement_lines: int = 0
    # Payments out above the threshold that a second person must approve.
    payments_awaiting_approval: int = 0


def _rows(stmt: Select[*tuple[Any, ...]], user_id: int | None) -> list[GiftSummary]:
    rows = db.session.execute(stmt).all()
    return [
        GiftSummary(
            public_id=row.public_id,
            appeal_slug=row.slug,
            amount=Money(row.amount_minor, row.currency),
            method=row.method,
            status=row.status,
            day=row.received_on or row.created_at.date(),
            recorded_by_you=user_id is not None and row.recorded_by_id == user_id,
        )
        for row in rows
    ]


def _base() -> Select[*tuple[Any, ...]]:
    return select(
        Donation.public_id,
        Appeal.slug,
        Donation.amount_minor,
        Donation.currency,
        Donation.method,
        Donation.status,
        Donation.received_on,
        Donation.created_at,
        Donation.recorded_by_id,
    ).join(Appeal, Appeal.id == Donation.appeal_id)


def _problem_filter(organisation_id: int, since: datetime) -> list[ColumnElement[bool]]:
    return [
        Donation.organisation_id == organisation_id,
        or_(
            Donation.status == DonationStatus.DISPUTED.value,
            (Donation.status == DonationStatus.FAILED.value) & (Donation.created_at >= since),
        ),
    ]


def treasury_summary(organisation_id: int, user_id: int | None = None) -> TreasurySummary:
    """Gifts entered by hand waiting for a second person (oldest first), and payments that
    failed in the last RECENT_FAILURES_DAYS or are disputed (newest first)."""
    waiting: list[ColumnElement[bool]] = [
        Donation.organisation_id == organisation_id,
        Donation.status == DonationStatus.AWAITING_APPROVAL.value,
    ]
    since = utcnow() - timedelta(days=RECENT_FAILURES_DAYS)
    problems = _problem_filter(organisation_id, since)
    base = _base()
    awaiting_rows = _rows(
        base.where(*waiting).order_by(Donation.created_at, Donation.id).limit(LIST_LIMIT),
        user_id,
    )
    problem_rows = _rows(
        base.where(*problems)
        .order_by(Donation.created_at.desc(), Donation.id.desc())
        .limit(LIST_LIMIT),
        user_id,
    )
    count = func.count(Donation.id)
    return TreasurySummary(
        awaiting_rows,
        int(db.session.scalar(select(count).where(*waiting)) or 0),
        problem_rows,
        int(db.session.scalar(select(count).where(*problems)) or 0),
        reconciliation.queued_count(organisation_id),
        int(
            db.session.scalar(
                select(func.count(Disbursement.id)).where(
                    Disbursement.organisation_id == organisation_id,
                    Disbursement.status == DisbursementStatus.AWAITING_APPROVAL.value,
                )
            )
            or 0
        ),
    )
