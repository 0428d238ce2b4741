"""Demo gifts, through the donations services: each is a Donation confirmed by the one path
every payment ends in, so the public figures, the ledger and `ledger verify` agree in the demo
as they do in production."""

from __future__ import annotations

from datetime import timedelta

from ngo import audit
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations import references
from ngo.donations.confirmation import confirm_donation
from ngo.donations.display_names import set_display_name
from ngo.donations.models import Donation, Donor, Frequency, PaymentMethod
from ngo.donations.models.donors import email_index
from ngo.extensions import db
from ngo.timeutil import utcnow


def _donor(appeal: Appeal, email: str | None, name: str | None, locale: str) -> Donor | None:
    if not email:
        return None
    donor = Donor(
        organisation_id=appeal.organisation_id,
        name=name,
        email=email,
        email_index=email_index(email),
        locale=locale,
    )
    db.session.add(donor)
    return donor


def pending_transfer(appeal: Appeal, amount_minor: int, *, donor_email: str) -> Donation:
    """A gift promised by bank transfer: pending until the statement shows its code."""
    donation = Donation(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        donor=_donor(appeal, donor_email, None, "en"),
        amount_minor=amount_minor,
        currency=appeal.currency,
        method=PaymentMethod.BANK_TRANSFER.value,
        reference_code=references.generate_reference(),
        created_at=utcnow() - timedelta(days=3),
    )
    db.session.add(donation)
    db.session.flush()
    return donation


def demo_gift(
    appeal: Appeal,
    amount_minor: int,
    *,
    currency: str | None = None,
    line: BudgetLine | None = None,
    method: PaymentMethod = PaymentMethod.CARD,
    fee_minor: int = 0,
    display_name: str | None = None,
    donor_email: str | None = None,
    donor_name: str | None = None,
    locale: str = "en",
    frequency: Frequency = Frequency.ONE_OFF,
    days_ago: int = 0,
) -> Donation:
    donor = _donor(appeal, donor_email, donor_name, locale)
    donation = Donation(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        budget_line_id=line.id if line is not None else None,
        donor=donor,
        amount_minor=amount_minor,
        currency=currency or appeal.currency,
        method=method.value,
        frequency=frequency.value,
    )
    db.session.add(donation)
    db.session.flush()
    set_display_name(donation, display_name, donor_email=donor_email)
    moment = utcnow() - timedelta(days=days_ago, hours=1)
    confirm_donation(donation, fee_minor=fee_minor, occurred_at=moment)
    # The audit log tells the story as production would: Stripe confirmed an online gift;
    # a transfer given here without its statement, the system.
    via = {"via": "stripe", "method": method.value} if method in _ONLINE else {}
    audit.record_change(donation, None, "donation.confirmed", **via)
    return donation


_ONLINE = frozenset(
    {PaymentMethod.CARD, PaymentMethod.BLIK, PaymentMethod.P24, PaymentMethod.SEPA_DEBIT}
)
