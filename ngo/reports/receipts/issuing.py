"""Issuing receipts: the row with its number, in the caller's transaction.

Each function finds the receipt a first run made (by its subject key) before it takes a
number, so a task run twice issues one receipt with one number. Two runs at the same moment
both reach the counter; the second waits for the first's commit and then fails on the unique
subject key, and its rollback returns the number it took (see numbering.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ngo.config import LANGUAGES
from ngo.donations import chart
from ngo.donations.models import Donation, DonationStatus, Donor, LedgerTransaction
from ngo.extensions import db
from ngo.reports.receipts.models import Receipt, ReceiptKind
from ngo.reports.receipts.numbering import take_number
from ngo.rules import RuleError
from ngo.timeutil import utcnow

# A gift refunded or disputed after it was confirmed still had its receipt (then a note).
RECEIPTED_STATUSES = (
    DonationStatus.CONFIRMED.value,
    DonationStatus.REFUNDED.value,
    DonationStatus.DISPUTED.value,
)


class ReceiptError(RuleError):
    pass


def donation_key(donation_id: int) -> str:
    return f"donation:{donation_id}"


def reversal_key(reversal_id: int) -> str:
    return f"reversal:{reversal_id}"


def annual_key(donor_id: int, year: int) -> str:
    return f"annual:{donor_id}:{year}"


# Built once: every receipt's issue looks for an earlier one first.
_BY_SUBJECT = select(Receipt).where(Receipt.subject_key == bindparam("subject_key"))


def find_receipt(subject_key: str, session: Session | None = None) -> Receipt | None:
    session = session or db.session()
    return session.scalars(_BY_SUBJECT, {"subject_key": subject_key}).first()


def receipt_language(donor: Donor | None) -> str:
    locale = donor.locale if donor is not None else "en"
    return locale if locale in LANGUAGES else "en"


def _new(
    session: Session,
    *,
    organisation_id: int,
    kind: ReceiptKind,
    subject_key: str,
    now: datetime,
    **values: object,
) -> Receipt:
    # Numbered by the year of issue, as invoices are: numbers rise with the dates printed.
    sequence, number = take_number(session, organisation_id, now.year)
    receipt = Receipt(
        organisation_id=organisation_id,
        kind=kind.value,
        subject_key=subject_key,
        year=now.year,
        sequence=sequence,
        number=number,
        issued_at=now,
        **values,
    )
    session.add(receipt)
    session.flush()
    return receipt


def _new_for_gift(
    session: Session,
    donation: Donation,
    *,
    kind: ReceiptKind,
    subject_key: str,
    amount_minor: int,
    language: str,
    **values: object,
) -> Receipt:
    """A receipt or cancellation note of one gift, issued now: the gift's organisation, donor
    and currency."""
    return _new(
        session,
        organisation_id=donation.organisation_id,
        kind=kind,
        subject_key=subject_key,
        now=utcnow(),
        donation_id=donation.id,
        donor_id=donation.donor_id,
        amount_minor=amount_minor,
        currency=donation.currency,
        language=language,
        **values,
    )


def issue_receipt(donation: Donation, session: Session | None = None) -> Receipt | None:
    """The receipt of a confirmed gift (issued now if it had none); None if the gift was
    never confirmed."""
    session = session or db.session()
    existing = find_receipt(donation_key(donation.id), session)
    if existing is not None:
        return existing
    if donation.status not in RECEIPTED_STATUSES or donation.confirmed_at is None:
        return None
    return _new_for_gift(
        session,
        donation,
        kind=ReceiptKind.RECEIPT,
        subject_key=donation_key(donation.id),
        amount_minor=donation.amount_minor,
        language=receipt_language(donation.donor),
    )


def issue_cancellation(
    donation: Donation, reversal: LedgerTransaction, session: Session | None = None
) -> Receipt:
    """The note cancelling (part of) a gift's receipt for one refund or chargeback; the
    receipt itself is issued first if the worker had not come to it yet."""
    session = session or db.session()
    if reversal.donation_id != donation.id or reversal.kind not in ("refund", "chargeback"):
        raise ReceiptError("the ledger transaction is not a reversal of this gift")
    existing = find_receipt(reversal_key(reversal.id), session)
    if existing is not None:
        return existing
    original = issue_receipt(donation, session)
    if original is None:
        raise ReceiptError("a gift that was never confirmed has no receipt to cancel")
    # What went back to the donor: the clearing account's credit, less a dispute fee the
    # provider took from it (posted to the fees account, borne by the organisation).
    taken_back = -sum(
        line.amount_minor
        for line in reversal.lines
        if line.currency == donation.currency
        # Any method's: the gift's method may have been learnt after this reversal (an online
        # gift's is read from its charge with its fee), and a reversal has only one.
        and line.account.startswith((chart.clearing(""), chart.fees("")))
    )
    return _new_for_gift(
        session,
        donation,
        kind=ReceiptKind.CANCELLATION,
        subject_key=reversal_key(reversal.id),
        amount_minor=taken_back,
        language=original.language,
        reversal_id=reversal.id,
        cancels_id=original.id,
    )


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def gifts_of_year(donor_id: int, year: int, session: Session | None = None) -> list[Donation]:
    """The donor's receipted gifts confirmed in the year, oldest first."""
    session = session or db.session()
    start, end = year_bounds(year)
    return list(
        session.scalars(
            select(Donation)
            .where(
                Donation.donor_id == donor_id,
                Donation.status.in_(RECEIPTED_STATUSES),
                Donation.confirmed_at >= start,
                Donation.confirmed_at < end,
            )
            .order_by(Donation.confirmed_at, Donation.id)
        )
    )


def issue_annual(donor: Donor, year: int, session: Session | None = None) -> Receipt | None:
    """The donor's consolidated receipt for a year that has ended; None if they gave nothing
    that year that was not taken back."""
    session = session or db.session()
    if year >= utcnow().year:
        raise ReceiptError("an annual receipt is issued once its year has ended")
    existing = find_receipt(annual_key(donor.id, year), session)
    if existing is not None:
        return existing
    gifts = [g for g in gifts_of_year(donor.id, year, session) if g.amount_minor > g.reversed_minor]
    if not gifts:
        return None
    currencies = {g.currency for g in gifts}
    total = sum(g.amount_minor - g.reversed_minor for g in gifts) if len(currencies) == 1 else None
    return _new(
        session,
        organisation_id=donor.organisation_id,
        kind=ReceiptKind.ANNUAL,
        subject_key=annual_key(donor.id, year),
        now=utcnow(),
        donor_id=donor.id,
        amount_minor=total,
        currency=currencies.pop() if total is not None else None,
        language=receipt_language(donor),
    )


def donors_with_gifts_in(year: int, session: Session | None = None) -> list[int]:
    """Donors (still reachable: not erased) with a receipted gift confirmed in the year."""
    session = session or db.session()
    start, end = year_bounds(year)
    return list(
        session.scalars(
            select(Donation.donor_id)
            .join(Donor, Donor.id == Donation.donor_id)
            .where(
                Donation.status.in_(RECEIPTED_STATUSES),
                Donation.confirmed_at >= start,
                Donation.confirmed_at < end,
                Donor.erased_at.is_(None),
            )
            .group_by(Donation.donor_id)
            .having(func.sum(Donation.amount_minor - Donation.reversed_minor) > 0)
            .order_by(Donation.donor_id)
        )
    )
