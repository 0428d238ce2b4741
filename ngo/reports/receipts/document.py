"""What a receipt says, and its PDF: built from the records in the receipt's language.

Everything printed is the organisation's own details, the amounts, the appeal's public title
and budget line label (public texts, checked before publication), the organisation's tax note
(checked when saved) and the donor's name as they gave it for their receipt, or "Anonymous
donor". Never the donor's e-mail, a message, or anything of the person the appeal is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.campaigns.notifications import public_title
from ngo.campaigns.presentation import line_text
from ngo.config import LANGUAGES
from ngo.donations.forms import METHOD_LABELS
from ngo.donations.models import Donation, Donor, LedgerTransaction, PaymentMethod
from ngo.extensions import db
from ngo.i18n import bound_translations
from ngo.money import Money, format_money
from ngo.reports.pdf import render_pdf
from ngo.reports.receipts import issuing
from ngo.reports.receipts.models import Receipt, ReceiptKind, ReceiptTaxNote

# Beside the template, so that it ships with the templates (package data).
STYLESHEET = Path(__file__).resolve().parents[2] / "templates" / "reports" / "receipt.css"


@cache
def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


@dataclass(frozen=True)
class GiftLine:
    """One gift as a receipt prints it."""

    given_on: date
    title: str
    designation: str
    method: str
    amount: str
    conversion: str
    returned: str
    receipt_number: str
    monthly: bool
    code: str


def appeal_title(appeal: Appeal, language: str) -> str:
    """The appeal's public title in the donor's language, as the donor's e-mails choose it."""
    return public_title(appeal, language) or public_title(appeal, appeal.fallback_language)


# Built once: every receipt reads them.
_TAX_NOTES = select(ReceiptTaxNote.language, ReceiptTaxNote.text).where(
    ReceiptTaxNote.organisation_id == bindparam("organisation_id")
)


def tax_note(organisation_id: int, language: str) -> str:
    """The organisation's note in the receipt's language, else its English one, else none."""
    rows = db.session.execute(_TAX_NOTES, {"organisation_id": organisation_id})
    notes = {note_language: text for note_language, text in rows}
    return notes.get(language) or notes.get("en") or ""


def _money(amount_minor: int, currency: str, language: str) -> str:
    return format_money(Money(amount_minor, currency), language)


def _conversion(donation: Donation, appeal: Appeal, language: str) -> str:
    if not donation.rate or donation.appeal_amount_minor is None:
        return ""
    # The stored rate turns the gift's currency into the appeal's; printed the way banks
    # and the ECB quote it (one unit of the appeal's currency), from the same stored value.
    quote = (1 / Decimal(donation.rate)).quantize(Decimal("0.0001"))
    return _(
        "Converted to %(amount)s at 1 %(to)s = %(quote)s %(gift_currency)s (rate of %(date)s).",
        amount=_money(donation.appeal_amount_minor, appeal.currency, language),
        quote=quote,
        to=appeal.currency,
        gift_currency=donation.currency,
        date=donation.rate_date.isoformat() if donation.rate_date else "",
    )


def _gift_line(donation: Donation, language: str, receipt_number: str) -> GiftLine:
    appeal = db.session.get_one(Appeal, donation.appeal_id)
    designation = _("The whole appeal")
    if donation.budget_line_id is not None:
        line = db.session.get_one(BudgetLine, donation.budget_line_id)
        designation = line_text(line, language, appeal.fallback_language)[0] or designation
    method = METHOD_LABELS.get(PaymentMethod(donation.method), donation.method)
    given = donation.received_on or (donation.confirmed_at or donation.created_at).date()
    return GiftLine(
        given_on=given,
        title=appeal_title(appeal, language),
        designation=str(designation),
        method=str(method),
        amount=_money(donation.amount_minor, donation.currency, language),
        conversion=_conversion(donation, appeal, language),
        returned=_money(donation.reversed_minor, donation.currency, language)
        if donation.reversed_minor
        else "",
        receipt_number=receipt_number,
        monthly=donation.recurring_plan_id is not None,
        code=donation.receipt_code or "",
    )


def _totals(gifts: list[Donation], language: str) -> list[str]:
    sums: dict[str, int] = {}
    for gift in gifts:
        sums[gift.currency] = sums.get(gift.currency, 0) + gift.amount_minor - gift.reversed_minor
    return [_money(amount, currency, language) for currency, amount in sorted(sums.items())]


def receipt_html(receipt: Receipt) -> str:
    """The receipt's HTML in its language (also what the benchmark renders bare)."""
    organisation = db.session.get_one(Organisation, receipt.organisation_id)
    donor = db.session.get(Donor, receipt.donor_id) if receipt.donor_id else None
    language = receipt.language
    with force_locale(language):
        context: dict[str, object] = {
            "receipt": receipt,
            "organisation": organisation,
            "donor_name": (donor.name if donor is not None else None) or _("Anonymous donor"),
            "issued_on": receipt.issued_at.date(),
            "tax_note": tax_note(receipt.organisation_id, language),
            "language": language,
        }
        if receipt.kind == ReceiptKind.ANNUAL.value:
            gifts = [
                g
                for g in issuing.gifts_of_year(receipt.donor_id or 0, annual_year(receipt))
                if g.amount_minor > g.reversed_minor
            ]
            numbers = _receipt_numbers([g.id for g in gifts])
            context["year"] = annual_year(receipt)
            context["gifts"] = [_gift_line(g, language, numbers.get(g.id, "")) for g in gifts]
            context["totals"] = _totals(gifts, language)
        else:
            donation = db.session.get_one(Donation, receipt.donation_id)
            context["gift"] = _gift_line(donation, language, receipt.number)
            if receipt.kind == ReceiptKind.CANCELLATION.value:
                original = db.session.get_one(Receipt, receipt.cancels_id)
                reversal = db.session.get_one(LedgerTransaction, receipt.reversal_id)
                context["original_number"] = original.number
                context["returned"] = _money(
                    receipt.amount_minor or 0, receipt.currency or donation.currency, language
                )
                context["returned_on"] = reversal.occurred_at.date()
                context["chargeback"] = reversal.kind == "chargeback"
        return render_template("reports/receipt.html", **context)


def annual_year(receipt: Receipt) -> int:
    return int(receipt.subject_key.rsplit(":", 1)[1])


def _receipt_numbers(donation_ids: list[int]) -> dict[int, str]:
    if not donation_ids:
        return {}
    rows = db.session.execute(
        db.select(Receipt.donation_id, Receipt.number).where(
            Receipt.donation_id.in_(donation_ids), Receipt.kind == ReceiptKind.RECEIPT.value
        )
    )
    return {donation_id: number for donation_id, number in rows if donation_id is not None}


# What a receipt and its e-mail are rendered from (reports/email/: ngo.reports.receipts.mails).
TEMPLATES = (
    "reports/receipt.html",
    "reports/email/receipt.txt",
    "reports/email/cancellation.txt",
    "reports/email/annual.txt",
)


def warm_up() -> None:
    """Once per worker process, at its start (ngo.celery_app): compile the receipts' templates
    and load each language's translations and Babel data, which the first receipts of a
    process would otherwise do (some 30 ms of compiling, 15 to 20 ms a language)."""
    for name in TEMPLATES:
        current_app.jinja_env.get_template(name)
    today = date.today()
    for language in LANGUAGES:
        with force_locale(language):
            bound_translations()["format_date"](today)
            format_money(Money(100, "EUR"), language)


def render_html(html: str) -> bytes:
    return render_pdf(html, stylesheet=stylesheet())


def render_receipt(receipt: Receipt) -> bytes:
    return render_html(receipt_html(receipt))


def filename(receipt: Receipt) -> str:
    prefix = {
        ReceiptKind.RECEIPT.value: "receipt",
        ReceiptKind.CANCELLATION.value: "cancellation",
        ReceiptKind.ANNUAL.value: "annual-receipt",
    }[receipt.kind]
    return f"{prefix}-{receipt.number}.pdf"
