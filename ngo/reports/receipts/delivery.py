"""The worker's side of receipts: the outbox handlers that issue a receipt (its number
committed first), render and store its PDF, and e-mail it to the donor in their language.

Three steps, each its own commit, so that no step holds the organisation's counter lock while
WeasyPrint works (two workers would otherwise render one after the other):

1. the number, with everything the PDF and the e-mail say read in the same transaction
   (the receipt's HTML, the mail's text), so that nothing is read twice;
2. the PDF, stored with its SHA-256, together with the claim on the e-mail
   (`mail_claimed_at`, with a lease: two deliveries at the same moment send it once, and a
   worker that died holding it leaves it to the next delivery after the lease);
3. the e-mail sent, marked in the caller's transaction (the outbox message's own mark).

A step already done is not done again, so a message delivered twice sends one e-mail with
one number. A failed final commit leaves the claim to expire before anyone sends again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import joinedload

from ngo import mail
from ngo.donations.models import Donation, Donor, LedgerTransaction
from ngo.extensions import db
from ngo.reports.receipts import document, issuing
from ngo.reports.receipts.mails import ReceiptMail, receipt_mail
from ngo.reports.receipts.models import Receipt
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction

ANNUAL_KIND = "reports.annual_receipt"
MAIL_CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Prepared:
    """What the steps after the number need, read while the receipt's records were loaded."""

    receipt_id: int
    html: str | None  # None: the PDF was stored before
    mail: ReceiptMail | None  # None: no address, or sent before


def prepare(receipt: Receipt) -> Prepared:
    """In the transaction that issued (or found) the receipt."""
    donor = db.session.get(Donor, receipt.donor_id) if receipt.donor_id else None
    wants_mail = receipt.emailed_at is None and donor is not None and bool(donor.email)
    return Prepared(
        receipt.id,
        None if receipt.pdf_sha256 is not None else document.receipt_html(receipt),
        receipt_mail(receipt, donor.email) if wants_mail and donor and donor.email else None,
    )


def send_receipt(payload: dict[str, Any]) -> None:
    """Outbox `donations.receipt`: a gift was confirmed."""
    # With its donor: one round trip fewer for each of the many receipts.
    donation = db.session.get(
        Donation, payload["donation_id"], options=[joinedload(Donation.donor)]
    )
    if donation is None:
        return
    with transaction():
        receipt = issuing.issue_receipt(donation)
        prepared = prepare(receipt) if receipt is not None else None
    if prepared is not None:
        finish(prepared)


def send_cancellation(payload: dict[str, Any]) -> None:
    """Outbox `donations.refunded`: part or all of a gift went back (refund, chargeback)."""
    donation = db.session.get(Donation, payload["donation_id"])
    reversal = db.session.get(LedgerTransaction, payload["reversal_id"])
    if donation is None or reversal is None:
        return
    with transaction():
        note = issuing.issue_cancellation(donation, reversal)
        original = db.session.get_one(Receipt, note.cancels_id)
        # Issued just now if the worker had not come to it: stored too, for the donor's
        # page, though the donor learns of it from the note.
        original_html = document.receipt_html(original) if original.pdf_sha256 is None else None
        prepared = prepare(note)
    if original_html is not None:
        finish(Prepared(original.id, original_html, None))
    finish(prepared)


def send_annual_receipt(payload: dict[str, Any]) -> None:
    """Outbox `reports.annual_receipt`: a donor's consolidated receipt for a past year."""
    donor = db.session.get(Donor, payload["donor_id"])
    if donor is None or donor.erased_at is not None:
        return
    with transaction():
        receipt = issuing.issue_annual(donor, int(payload["year"]))
        prepared = prepare(receipt) if receipt is not None else None
    if prepared is not None:
        finish(prepared)


def _digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def store_pdf(receipt: Receipt) -> None:
    """Render the receipt's PDF into the caller's transaction, unless it was stored before."""
    if receipt.pdf_sha256 is not None:
        return
    pdf = document.render_receipt(receipt)
    receipt.pdf = pdf
    receipt.pdf_sha256 = _digest(pdf)
    db.session.flush()


def _store_rendered(receipt_id: int, pdf: bytes) -> bytes:
    """Store a PDF rendered outside a transaction; the one stored already if another
    delivery was first (each render differs in its creation date: the stored one is sent)."""
    stored = cast(
        CursorResult[Any],
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == receipt_id, Receipt.pdf_sha256.is_(None))
            .values(pdf=pdf, pdf_sha256=_digest(pdf))
            .execution_options(synchronize_session=False)
        ),
    )
    if stored.rowcount == 1:
        return pdf
    first = db.session.scalar(select(Receipt.pdf).where(Receipt.id == receipt_id))
    assert first is not None  # its sha256 is set only with it
    return first


def _claim_mail(receipt_id: int) -> bool:
    """Take the e-mail for this delivery, in the caller's transaction (an UPDATE that only
    one of two concurrent deliveries can make)."""
    now = utcnow()
    result = db.session.execute(
        update(Receipt)
        .where(
            Receipt.id == receipt_id,
            Receipt.emailed_at.is_(None),
            or_(
                Receipt.mail_claimed_at.is_(None),
                Receipt.mail_claimed_at < now - MAIL_CLAIM_LEASE,
            ),
        )
        .values(mail_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _set(receipt_id: int, **values: object) -> None:
    db.session.execute(
        update(Receipt)
        .where(Receipt.id == receipt_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def finish(prepared: Prepared) -> None:
    """Steps 2 and 3: render and store the PDF (and claim the e-mail), then send it."""
    pdf = None if prepared.html is None else document.render_html(prepared.html)
    with transaction():
        if pdf is not None:
            pdf = _store_rendered(prepared.receipt_id, pdf)
        claimed = prepared.mail is not None and _claim_mail(prepared.receipt_id)
        if claimed and pdf is None:
            pdf = db.session.scalar(select(Receipt.pdf).where(Receipt.id == prepared.receipt_id))
    if not claimed or prepared.mail is None or pdf is None:
        return  # no address, sent before, or being sent by another delivery
    try:
        mail.deliver(prepared.mail.with_pdf(pdf))
    except BaseException:
        with transaction():
            _set(prepared.receipt_id, mail_claimed_at=None)
        raise
    _set(prepared.receipt_id, emailed_at=utcnow())
