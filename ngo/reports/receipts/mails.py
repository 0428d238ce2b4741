"""The e-mails receipts go in, in the receipt's language: what was given and to which appeal
(its public title), the private code for the public ledger, the monthly gift's cancel link,
and the signed link to the donor's receipts. The PDF is attached by delivery."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ngo import mail
from ngo.campaigns.models import Appeal
from ngo.campaigns.notifications import public_appeal_url
from ngo.donations import plans
from ngo.donations.models import Donation, RecurringPlan
from ngo.extensions import db
from ngo.money import Money, format_money
from ngo.reports.receipts import document, links
from ngo.reports.receipts.models import Receipt, ReceiptKind
from ngo.urls import external_url


@dataclass(frozen=True)
class ReceiptMail:
    """A receipt's e-mail but for its PDF, written while its records are loaded."""

    to: str
    subject: str
    body: str
    filename: str
    language: str

    def with_pdf(self, pdf: bytes) -> EmailMessage:
        attachment = mail.Attachment(self.filename, "application/pdf", pdf)
        return mail.compose(
            self.to, self.subject, self.body, attachments=[attachment], language=self.language
        )


def receipt_mail(receipt: Receipt, to: str) -> ReceiptMail:
    language = receipt.language
    with force_locale(language):
        context: dict[str, object] = {
            "number": receipt.number,
            "receipts_url": external_url(
                "receipts.donor_receipts", receipt_token=links.receipt_token(receipt)
            ),
            "link_days": links.LINK_DAYS,
        }
        if receipt.kind == ReceiptKind.ANNUAL.value:
            subject = _("Your annual receipt %(number)s", number=receipt.number)
            context["year"] = document.annual_year(receipt)
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
    return ReceiptMail(to, subject, body, document.filename(receipt), language)


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
