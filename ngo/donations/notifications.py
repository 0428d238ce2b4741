"""The donor's confirmation e-mail, sent by the worker through the outbox: what was given, to
which appeal (its public title only), and the private code that finds the gift in the appeal's
public ledger; for a monthly gift, the signed link that cancels it. The PDF receipt joins this
mail with the receipts issue; the outbox row that asks for it is written when the gift is
confirmed."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ngo import mail, outbox
from ngo.campaigns.models import Appeal
from ngo.campaigns.notifications import public_appeal_url, public_title
from ngo.config import LANGUAGES
from ngo.donations import plans
from ngo.donations.models import Donation, DonationStatus, RecurringPlan
from ngo.extensions import db
from ngo.money import Money, format_money
from ngo.timeutil import utcnow
from ngo.urls import external_url


def send_receipt(payload: dict[str, Any]) -> None:
    donation = db.session.get(Donation, payload["donation_id"])
    if donation is None or donation.status != DonationStatus.CONFIRMED:
        return
    donor = donation.donor
    if donor is None or not donor.email:
        return  # an anonymous cash gift, or the donor was erased before the worker came
    appeal = db.session.get_one(Appeal, donation.appeal_id)
    plan = (
        db.session.get(RecurringPlan, donation.recurring_plan_id)
        if donation.recurring_plan_id is not None
        else None
    )
    cancel_url = (
        external_url("donations_public.cancel_monthly", plan_token=plans.cancel_token(plan))
        if plan is not None and plan.active
        else None
    )
    language = donor.locale if donor.locale in LANGUAGES else "en"
    with force_locale(language):
        body = render_template(
            "donations/email/receipt.txt",
            amount=format_money(Money(donation.amount_minor, donation.currency), language),
            title=public_title(appeal, language) or public_title(appeal, appeal.fallback_language),
            appeal_url=public_appeal_url(appeal.slug),
            code=donation.receipt_code,
            monthly=donation.recurring_plan_id is not None,
            cancel_url=cancel_url,
            confirmed_on=donation.confirmed_at,
        )
        subject = _("Thank you: your gift is confirmed")
        mail.deliver(mail.compose(donor.email, subject, body, language=language))


def record_refused_receipt(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    """The donor's mail server refused the receipt for good: noted on the gift, where the
    treasurer sees it (the outbox marks the message dead in the same commit)."""
    donation = db.session.get(Donation, payload["donation_id"])
    if donation is not None:
        donation.mail_failed_at = utcnow()
        donation.mail_failure = failure.safe_message[:200]
