"""The worker's side of receipts: the outbox handlers that issue a receipt (its number
committed first), render and store its PDF, and e-mail it to the donor in their language.

Two commits, so that no step holds the organisation's counter lock while WeasyPrint works (two
workers would otherwise render one after the other):

1. the number, with everything the PDF and the e-mail say read in the same transaction
   (the receipt's HTML, the mail's text), so that nothing is read twice;
2. the PDF rendered outside any transaction, then stored with its SHA-256 and the e-mail
   marked sent (one UPDATE when neither was done before) and sent, committed with the
   outbox's record of the sent mail (ngo/mail.py) and its mark that the message is done: a
   failed send leaves the e-mail unmarked for the retry (the PDF is then committed on its
   own: it is kept whatever becomes of the e-mail), and a second delivery at the same moment
   waits on the receipt's row and finds it sent.

A step already done is not done again, so a message delivered twice sends one e-mail with
one number (only a crash in the milliseconds between the SMTP server's acceptance and the
commit can send it twice, as for every mail; the PDF of a receipt's records renders to the
same bytes each time, so the retry stores what the lost attempt sent).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.orm import joinedload

from ngo import mail, outbox
from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal
from ngo.donations.models import Donation, Donor, LedgerTransaction
from ngo.extensions import db, table_of
from ngo.reports.receipts import document, issuing
from ngo.reports.receipts.mails import ReceiptMail, receipt_mail
from ngo.reports.receipts.models import Receipt
from ngo.timeutil import utcnow
from ngo.unit_of_work import note_write, transaction

ANNUAL_KIND = "reports.annual_receipt"


@dataclass(frozen=True)
class Prepared:
    """What the steps after the number need, read while the receipt's records were loaded."""

    receipt_id: int
    html: str | None  # None: the PDF was stored before
    mail: ReceiptMail | None  # None: no address, or sent before


def prepare(receipt: Receipt) -> Prepared:
    """In the transaction that issued (or found) the receipt."""
    donor = db.session.get(Donor, receipt.donor_id) if receipt.donor_id else None
    # The PDF and the mail both name the gift's appeal: held here, it is read once for both
    # (the session's identity map keeps an object only while something refers to it).
    held = _appeal_and_organisation(receipt)
    wants_mail = receipt.emailed_at is None and donor is not None and bool(donor.email)
    prepared = Prepared(
        receipt.id,
        None if receipt.pdf_sha256 is not None else document.receipt_html(receipt),
        receipt_mail(receipt, donor.email) if wants_mail and donor and donor.email else None,
    )
    del held
    return prepared


# Built once (a statement's construction and cache key cost about what running it does).
# The appeal with its texts, which the PDF and the mail both print the title from, and the
# receipt's organisation, which the PDF prints: one round trip for the three.
_APPEAL_AND_ORGANISATION = (
    select(Appeal, Organisation)
    # One row each: joined (rather than listed) so that no cartesian product is warned of.
    .join(Organisation, Organisation.id == bindparam("organisation_id"))
    .where(Appeal.id == bindparam("appeal_id"))
    .options(joinedload(Appeal.translations))
)
_WITH_DONOR = (joinedload(Donation.donor),)


def _appeal_and_organisation(receipt: Receipt) -> object:
    """Loaded into the session for the receipt's HTML and mail; the caller holds the result
    while they are written."""
    if receipt.donation_id is None:
        return None  # an annual receipt: its gifts' appeals are read once each as it is
    donation = db.session.get_one(Donation, receipt.donation_id)
    params = {"appeal_id": donation.appeal_id, "organisation_id": receipt.organisation_id}
    return db.session.execute(_APPEAL_AND_ORGANISATION, params).unique().first()


def send_receipt(payload: dict[str, Any]) -> None:
    """Outbox `donations.receipt`: a gift was confirmed."""
    # With its donor: one round trip fewer for each of the many receipts.
    donation = db.session.get(Donation, payload["donation_id"], options=_WITH_DONOR)
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
    delivery was first (rendered from records that may have changed since: the stored one is
    sent)."""
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
    """Mark the e-mail sent before sending it, in the handler's transaction, which commits it
    only with the sent mail's record (or rolls it back if sending fails). The UPDATE takes the
    receipt's row lock: a second delivery at the same moment waits, then finds it sent."""
    result = db.session.execute(
        update(Receipt)
        .where(Receipt.id == receipt_id, Receipt.emailed_at.is_(None))
        .values(emailed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


# Built once, in Core, as the usual first delivery runs it for every receipt (the ORM's
# handling of an UPDATE cost about what running it does).
_RECEIPTS = table_of(Receipt)
_STORE_AND_CLAIM_MAIL = (
    _RECEIPTS.update()
    .where(
        _RECEIPTS.c.id == bindparam("receipt_id"),
        _RECEIPTS.c.pdf_sha256.is_(None),
        _RECEIPTS.c.emailed_at.is_(None),
    )
    .values(
        pdf=bindparam("new_pdf", type_=_RECEIPTS.c.pdf.type),
        pdf_sha256=bindparam("new_pdf_sha256", type_=_RECEIPTS.c.pdf_sha256.type),
        emailed_at=bindparam("new_emailed_at", type_=_RECEIPTS.c.emailed_at.type),
    )
)


def _store_rendered_and_claim_mail(receipt_id: int, pdf: bytes) -> bool:
    """The usual first delivery in one statement: the PDF stored and the e-mail marked sent
    (as `_store_rendered` and `_claim_mail` do them), if neither was done before; False, with
    nothing changed, if one was (then they go one by one)."""
    params = {
        "receipt_id": receipt_id,
        "new_pdf": pdf,
        "new_pdf_sha256": _digest(pdf),
        "new_emailed_at": utcnow(),
    }
    note_write(db.session())
    return db.session.connection().execute(_STORE_AND_CLAIM_MAIL, params).rowcount == 1


def finish(prepared: Prepared) -> None:
    """Steps 2 and 3: render the PDF, then store it and send it in one commit (the handler's
    last, with the outbox's mark that the message was sent)."""
    rendered = None if prepared.html is None else document.render_html(prepared.html)
    if prepared.mail is None:  # no address, or sent before
        if rendered is not None:
            with transaction():
                _store_rendered(prepared.receipt_id, rendered)
        return
    pdf = rendered
    if pdf is None:
        pdf = db.session.scalar(select(Receipt.pdf).where(Receipt.id == prepared.receipt_id))
    assert pdf is not None  # rendered now, or stored before
    # Composed before the first write: SQLite's lock (the whole database's) is then held only
    # while the mail is sent.
    message = prepared.mail.with_pdf(pdf)
    claimed = rendered is not None and _store_rendered_and_claim_mail(prepared.receipt_id, rendered)
    if rendered is not None and not claimed:
        stored = _store_rendered(prepared.receipt_id, rendered)
        if stored is not rendered:
            message = prepared.mail.with_pdf(stored)  # another delivery stored first
    try:
        if not claimed and not _claim_mail(prepared.receipt_id):
            return  # sent before
        # Inside an outbox delivery the claim commits with the record of the sent mail.
        mail.deliver(message)
    except Exception:
        if rendered is not None:
            # The mail failed (a refusal, a lost connection): the PDF is kept all the same,
            # for the retry and for staff to print.
            db.session.rollback()
            with transaction():
                _store_rendered(prepared.receipt_id, rendered)
        raise


def record_refused_mail(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    """The donor's mail server refused a gift's receipt or note for good: noted on the gift,
    where the treasurer sees it (the outbox marks the message dead in the same commit). The
    receipt itself stays, numbered and stored, for staff to print."""
    donation = db.session.get(Donation, payload.get("donation_id"))
    if donation is not None:
        donation.mail_failed_at = utcnow()
        donation.mail_failure = failure.safe_message[:200]


def record_refused_annual(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    """The donor's mail server refused their annual receipt for good: noted on the receipt,
    which the treasurer sees beside each gift of its year (the gifts' own receipts may have
    gone through). The receipt stays, numbered and stored, for staff to print."""
    key = issuing.annual_key(int(payload["donor_id"]), int(payload["year"]))
    receipt = issuing.find_receipt(key)
    if receipt is not None:
        receipt.mail_failed_at = utcnow()
        receipt.mail_failure = failure.safe_message[:200]
