"""The worker's side of receipts: the outbox handlers that issue a receipt (its number
committed first), render and store its PDF, and e-mail it to the donor in their language.

Three steps, each its own commit, so that no step holds the organisation's counter lock
while WeasyPrint works (two workers would otherwise render one after the other): the number,
then the PDF, then the e-mail. A step already done is not done again, so a message delivered
twice sends one e-mail with one number. The e-mail is claimed before it is sent
(`mail_claimed_at`, with a lease): two deliveries at the same moment send it once, and a
worker that died holding the claim leaves it to the next delivery after the lease.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, cast

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CursorResult, or_, update

from ngo import mail
from ngo.campaigns.models import Appeal
from ngo.campaigns.notifications import public_appeal_url
from ngo.donations import plans
from ngo.donations.models import Donation, Donor, LedgerTransaction, RecurringPlan
from ngo.extensions import db
from ngo.money import Money, format_money
from ngo.reports.receipts import document, issuing, links
from ngo.reports.receipts.models import Receipt, ReceiptKind
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction
from ngo.urls import external_url

ANNUAL_KIND = "reports.annual_receipt"
MAIL_CLAIM_LEASE = timedelta(minutes=5)


def send_receipt(payload: dict[str, Any]) -> None:
    """Outbox `donations.receipt`: a gift was confirmed."""
    donation = db.session.get(Donation, payload["donation_id"])
    if donation is None:
        return
    with transaction():
        receipt = issuing.issue_receipt(donation)
    if receipt is not None:
        deliver_receipt(receipt)


def send_cancellation(payload: dict[str, Any]) -> None:
    """Outbox `donations.refunded`: part or all of a gift went back (refund, chargeback)."""
    donation = db.session.get(Donation, payload["donation_id"])
    reversal = db.session.get(LedgerTransaction, payload["reversal_id"])
    if donation is None or reversal is None:
        return
    with transaction():
        note = issuing.issue_cancellation(donation, reversal)
    original = db.session.get_one(Receipt, note.cancels_id)
    # The receipt it cancels was issued just now if the worker had not come to it: it is
    # stored too, for the donor's page, though a donor learns of it from the note.
    ensure_pdf(original)
    deliver_receipt(note)


def send_annual_receipt(payload: dict[str, Any]) -> None:
    """Outbox `reports.annual_receipt`: a donor's consolidated receipt for a past year."""
    donor = db.session.get(Donor, payload["donor_id"])
    if donor is None or donor.erased_at is not None:
        return
    with transaction():
        receipt = issuing.issue_annual(donor, int(payload["year"]))
    if receipt is not None:
        deliver_receipt(receipt)


def store_pdf(receipt: Receipt) -> None:
    """Render the receipt's PDF into the caller's transaction, unless it was stored before."""
    if receipt.pdf_sha256 is not None:
        return
    pdf = document.render_receipt(receipt)
    receipt.pdf = pdf
    receipt.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    db.session.flush()


def ensure_pdf(receipt: Receipt) -> None:
    """Render and store the receipt's PDF, committed, unless it was stored before."""
    if receipt.pdf_sha256 is not None:
        return
    with transaction():
        store_pdf(receipt)


def _claim_mail(receipt_id: int) -> bool:
    now = utcnow()
    with transaction():
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


def _release_mail(receipt_id: int) -> None:
    with transaction():
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == receipt_id)
            .values(mail_claimed_at=None)
            .execution_options(synchronize_session=False)
        )


def deliver_receipt(receipt: Receipt) -> None:
    """Store the PDF and e-mail it, once; nothing is sent to a donor without an address (a
    cash gift with no donor, an erased donor): staff can print it from the gift's page."""
    ensure_pdf(receipt)
    donor = db.session.get(Donor, receipt.donor_id) if receipt.donor_id else None
    if receipt.emailed_at is not None or donor is None or not donor.email:
        return
    if not _claim_mail(receipt.id):
        return  # sent, or being sent by another delivery
    try:
        mail.deliver(compose_receipt_mail(receipt, donor))
    except BaseException:
        _release_mail(receipt.id)
        raise
    with transaction():
        receipt.emailed_at = utcnow()


def compose_receipt_mail(receipt: Receipt, donor: Donor) -> Any:
    assert donor.email is not None and receipt.pdf is not None
    language = receipt.language
    with force_locale(language):
        context: dict[str, object] = {
            "number": receipt.number,
            "receipts_url": external_url(
                "receipts.donor_receipts", token=links.receipt_token(receipt)
            ),
            "link_days": links.LINK_DAYS,
        }
        if receipt.kind == ReceiptKind.ANNUAL.value:
            subject = _("Your annual receipt %(number)s", number=receipt.number)
            context["year"] = int(receipt.subject_key.rsplit(":", 1)[1])
            body = render_template("reports/email/annual.txt", **context)
        else:
            donation = db.session.get_one(Donation, receipt.donation_id)
            appeal = db.session.get_one(Appeal, donation.appeal_id)
            context.update(_gift_context(donation, appeal, language))
            if receipt.kind == ReceiptKind.CANCELLATION.value:
                original = db.session.get_one(Receipt, receipt.cancels_id)
                subject = _("Cancellation of your receipt %(number)s", number=original.number)
                context["original_number"] = original.number
                context["returned"] = format_money(
                    Money(receipt.amount_minor or 0, receipt.currency or donation.currency),
                    language,
                )
                body = render_template("reports/email/cancellation.txt", **context)
            else:
                subject = _("Thank you: your gift is confirmed")
                body = render_template("reports/email/receipt.txt", **context)
        attachment = mail.Attachment(document.filename(receipt), "application/pdf", receipt.pdf)
        return mail.compose(donor.email, subject, body, attachments=[attachment])


def _gift_context(donation: Donation, appeal: Appeal, language: str) -> dict[str, object]:
    plan = (
        db.session.get(RecurringPlan, donation.recurring_plan_id)
        if donation.recurring_plan_id is not None
        else None
    )
    return {
        "amount": format_money(Money(donation.amount_minor, donation.currency), language),
        "title": document.appeal_title(appeal, language),
        "appeal_url": public_appeal_url(appeal.slug),
        "code": donation.receipt_code,
        "monthly": plan is not None,
        "cancel_url": external_url(
            "donations_public.cancel_monthly", plan_token=plans.cancel_token(plan)
        )
        if plan is not None and plan.active
        else None,
    }
