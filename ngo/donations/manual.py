"""Gifts a treasurer enters by hand: cash handed over, and other gifts that came outside a
payment provider or a bank statement.

A gift up to `MANUAL_GIFT_APPROVAL_MINOR` (in the appeal's currency) is confirmed as it is
recorded; a larger one waits, AWAITING_APPROVAL, for a second person who did not record it
(the four-eyes rule of accounts.policy). Approval confirms it through `confirm_donation`, the
one path every gift ends in; rejection sets it REJECTED and posts nothing, so a rejected gift
leaves no trace in the ledger or the appeal's figures.

Lock order, as for every money movement: the appeal first (before the gift's row is written:
the row's foreign key would otherwise hold a share lock on the appeal that another gift's
FOR UPDATE waits for), then the ledger (confirm_donation), then the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.campaigns import funding
from ngo.campaigns.models import Appeal, AppealStatus
from ngo.donations import rates
from ngo.donations.confirmation import confirm_donation
from ngo.donations.display_names import checked_display_name
from ngo.donations.errors import GiftError
from ngo.donations.models import Donation, DonationStatus, Donor, PaymentMethod
from ngo.donations.models.donors import email_index
from ngo.extensions import db
from ngo.money import Money, MoneyError
from ngo.money.currencies import check_currency
from ngo.rules import RuleError
from ngo.timeutil import utcnow

MANUAL_METHODS = (PaymentMethod.CASH.value, PaymentMethod.OTHER.value)
# Appeals a gift may still be recorded for: money handed over after giving closed is real and
# goes to the appeal's reserve (a treasurer reallocates it).
RECEIVING = frozenset(
    {AppealStatus.PUBLISHED.value, AppealStatus.FUNDED.value, AppealStatus.CLOSED.value}
)
DONOR_NAME_MAX = 200
EMAIL_MAX = 254
NOTE_MAX = 2000
# How far back a gift may be dated: a cash book is written up within the year.
MAX_AGE_DAYS = 366


@dataclass(frozen=True)
class GiftEntry:
    """What the treasurer typed, the amount already read as money."""

    amount: Money
    method: str
    received_on: date
    budget_line_id: int | None = None
    donor_name: str | None = None
    donor_email: str | None = None
    display_name: str | None = None
    note: str | None = None
    # One form submission is one gift, however often it is sent.
    idempotency_key: str | None = None


def approval_threshold_minor() -> int:
    return int(current_app.config["MANUAL_GIFT_APPROVAL_MINOR"])


def needs_second_person(appeal_amount_minor: int) -> bool:
    return appeal_amount_minor > approval_threshold_minor()


def _in_appeal_currency(amount: Money, appeal: Appeal, on: date) -> int:
    if amount.currency == appeal.currency:
        return amount.amount_minor
    try:
        converted = rates.convert(
            amount.amount_minor,
            amount.currency,
            appeal.currency,
            on,
            organisation_id=appeal.organisation_id,
        )
        return int(converted.amount_minor)
    except RuleError:
        raise GiftError(
            _l(
                "No exchange rate from %(source)s to %(target)s is known for that day: ask an "
                "administrator to enter one, or record the gift in %(target)s.",
                source=amount.currency,
                target=appeal.currency,
            ),
            field="currency",
        ) from None


def too_long(limit: int) -> object:
    return _l("That is too long (at most %(max)d characters).", max=limit)


def _clean(text: str | None, limit: int, field: str) -> str | None:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > limit:
        raise GiftError(too_long(limit), field=field)
    return cleaned or None


def _checked_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if (
        len(email) > EMAIL_MAX
        or not at
        or not local
        or "." not in domain.strip(".")
        or any(c.isspace() for c in email)
    ):
        raise GiftError(
            _l("Enter an e-mail address such as name@example.org."), field="donor_email"
        )
    return email


def _check_entry(appeal: Appeal, entry: GiftEntry) -> None:
    if appeal.status not in RECEIVING:
        raise GiftError(_l("Gifts can be recorded only for a published appeal."))
    if entry.method not in MANUAL_METHODS:
        raise GiftError(_l("Choose cash or another way of giving."), field="method")
    try:
        check_currency(entry.amount.currency)
    except MoneyError:
        raise GiftError(_l("Choose a currency from the list."), field="currency") from None
    if entry.amount.amount_minor <= 0:
        raise GiftError(_l("Enter an amount above zero."), field="amount")
    if entry.budget_line_id is not None and entry.budget_line_id not in {
        line.id for line in appeal.budget_lines
    }:
        raise GiftError(_l("Choose one of the appeal's budget lines."), field="budget_line")
    today = date.today()
    if entry.received_on > today:
        raise GiftError(_l("A gift cannot be received in the future."), field="received_on")
    earliest = max(appeal.created_at.date(), today - timedelta(days=MAX_AGE_DAYS))
    if entry.received_on < earliest:
        raise GiftError(
            _l("Enter a day after the appeal was drafted and within the last year."),
            field="received_on",
        )


def received_moment(received_on: date) -> datetime:
    """When the ledger says the gift came: midday of the day it was received (so no time zone
    moves it to another day), or now if that is still to come."""
    return min(datetime.combine(received_on, time(12)), utcnow())


def _donor(organisation_id: int, name: str | None, email: str | None) -> Donor | None:
    """The donor with this e-mail in the organisation (found by its blind index), else a new
    one; None when the treasurer knows neither name nor e-mail (an anonymous cash gift)."""
    if name is None and email is None:
        return None
    donor = None
    if email is not None:
        donor = db.session.scalars(
            select(Donor)
            .where(
                Donor.organisation_id == organisation_id,
                Donor.email_index == email_index(email),
                Donor.erased_at.is_(None),
            )
            .order_by(Donor.id)
            .limit(1)
        ).first()
    if donor is None:
        donor = Donor(
            organisation_id=organisation_id,
            email=email,
            email_index=email_index(email) if email else None,
        )
        db.session.add(donor)
    if name is not None and not donor.name:
        donor.name = name
    return donor


def record_manual_gift(appeal: Appeal, entry: GiftEntry, *, actor: User) -> Donation:
    """Record a cash or other gift: confirmed now up to the threshold, else waiting for a
    second person. The same idempotency key gives back the gift it recorded first."""
    if entry.idempotency_key:
        earlier = db.session.scalars(
            select(Donation).where(Donation.idempotency_key == entry.idempotency_key)
        ).first()
        if earlier is not None:
            if earlier.organisation_id != appeal.organisation_id or earlier.appeal_id != appeal.id:
                raise GiftError(_l("This form was already used. Open it again."))
            return earlier
    _check_entry(appeal, entry)
    donor_name = _clean(entry.donor_name, DONOR_NAME_MAX, "donor_name")
    donor_email = _checked_email(entry.donor_email)
    note = (entry.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise GiftError(too_long(NOTE_MAX), field="note")
    display_name = checked_display_name(appeal, entry.display_name, donor_email=donor_email)
    appeal_minor = _in_appeal_currency(entry.amount, appeal, entry.received_on)
    if appeal_minor > int(current_app.config["MANUAL_GIFT_MAX_MINOR"]):
        raise GiftError(_l("That amount is larger than any accepted here."), field="amount")

    appeal = funding.lock_for_money(appeal.id)
    donation = Donation(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        budget_line_id=entry.budget_line_id,
        donor=_donor(appeal.organisation_id, donor_name, donor_email),
        amount_minor=entry.amount.amount_minor,
        currency=entry.amount.currency,
        method=entry.method,
        status=DonationStatus.PENDING.value,
        display_name=display_name,
        display_name_checked_at=utcnow() if display_name else None,
        note=note,
        idempotency_key=entry.idempotency_key or None,
        recorded_by_id=actor.id,
        received_on=entry.received_on,
    )
    db.session.add(donation)
    db.session.flush()
    waits = needs_second_person(appeal_minor)
    if waits:
        donation.status = DonationStatus.AWAITING_APPROVAL.value
        db.session.flush()
    else:
        confirm_donation(
            donation, occurred_at=received_moment(entry.received_on), actor_id=actor.id
        )
    audit.record_change(
        donation,
        actor,
        "donation.recorded",
        method=entry.method,
        amount_minor=entry.amount.amount_minor,
        currency=entry.amount.currency,
        awaiting_approval=waits,
    )
    return donation


def _locked_awaiting(donation: Donation) -> Donation:
    funding.lock_for_money(donation.appeal_id)
    db.session.refresh(donation, with_for_update=True)
    if donation.method not in MANUAL_METHODS:
        raise GiftError(_l("Only gifts entered by hand are approved here."))
    if donation.status != DonationStatus.AWAITING_APPROVAL.value:
        raise GiftError(_l("This gift is not waiting for approval any more."))
    return donation


def approval_refusal(donation: Donation, actor: User) -> str | None:
    """Why `actor` may not approve the gift under the four-eyes rule, or None."""
    return four_eyes_refusal(actor.id, authors=[donation.recorded_by_id])


def approve_manual_gift(donation: Donation, *, actor: User) -> None:
    """The second person confirms the gift: it reaches the ledger and the appeal's figures."""
    donation = _locked_awaiting(donation)
    refusal = approval_refusal(donation, actor)
    if refusal is not None:
        raise GiftError(refusal)
    moment = received_moment(donation.received_on or utcnow().date())
    confirm_donation(donation, occurred_at=moment, actor_id=actor.id)
    audit.record_change(donation, actor, "donation.approved")


def reject_manual_gift(donation: Donation, *, actor: User) -> None:
    """Turn the gift down (a second person), or withdraw it (the one who recorded it, who
    found a mistake): nothing is posted and the appeal's figures do not move."""
    donation = _locked_awaiting(donation)
    donation.status = DonationStatus.REJECTED.value
    db.session.flush()
    audit.record_change(
        donation,
        actor,
        "donation.rejected",
        by_recorder=donation.recorded_by_id == actor.id,
    )
