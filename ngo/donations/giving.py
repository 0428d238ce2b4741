"""Starting a gift from the public donate form: every check of what the donor typed, then one
pending Donation (and its donor) that the payment provider's webhook or the bank statement
confirms later through `confirmation.confirm_donation`.

Refusals are GiftError (a RuleError naming the form field) and leave nothing behind: the view
runs this through `unit_of_work.attempt`, which rolls the request back. One form submission is
one gift: the form's idempotency key is stored on the Donation (a unique column), and a second
post with the same key finds the first gift instead of making another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo.campaigns.giving import appeal_open_for_gifts
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.config import ConfigurationError
from ngo.donations import donation_texts, references
from ngo.donations.bank_accounts import bank_account_for
from ngo.donations.display_names import checked_display_name
from ngo.donations.fees import fee_to_cover
from ngo.donations.models import Donation, Donor, Frequency, PaymentMethod
from ngo.donations.models.donors import email_index
from ngo.extensions import db
from ngo.money import MoneyError, minor_units
from ngo.money.parsing import parse_minor
from ngo.rules import RuleError
from ngo.timeutil import utcnow

CURRENCIES = ("EUR", "PLN", "USD", "GBP")
# The smallest gift per currency: below it the payment fee would eat most of it (and Stripe
# refuses charges under about half a euro).
MINIMUM_MINOR = {"EUR": 100, "USD": 100, "GBP": 100, "PLN": 500}
MESSAGE_MAX = 1000
EMAIL_MAX = 254
# secrets.token_urlsafe(24): 32 characters of the URL-safe alphabet.
_KEY = re.compile(r"[A-Za-z0-9_-]{32}")

ONLINE = "online"
BANK_TRANSFER = PaymentMethod.BANK_TRANSFER.value


class GiftError(RuleError):
    pass


@dataclass(frozen=True)
class GiftRequest:
    amount_text: str
    currency: str
    line_id: int | None
    monthly: bool
    cover_fee: bool
    display_name: str
    email: str
    message: str
    wants_updates: bool
    method: str  # ONLINE or BANK_TRANSFER
    idempotency_key: str
    locale: str = "en"


def _amount_messages(currency: str) -> dict[str, object]:
    return {
        "empty": _l("Enter the amount you want to give."),
        "negative": _l("Enter an amount above zero."),
        "too_many_decimals": _l(
            "%(currency)s has at most %(places)d decimal places.",
            currency=currency,
            places=minor_units(currency),
        ),
        "too_large": _l("That amount is above the largest gift accepted here."),
        "ambiguous": _l(
            "Write the amount without a thousands separator, like 1000 or 10.50: a dot or "
            "comma before three digits could mean either."
        ),
    }


def parse_max_donation(text: str) -> dict[str, int] | int:
    """NGO_MAX_DONATION_MINOR: one number for every currency, or CUR=N entries."""
    text = text.strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    limits: dict[str, int] = {}
    for entry in (part.strip() for part in text.split(",") if part.strip()):
        code, _sep, number = entry.partition("=")
        if not re.fullmatch(r"[A-Z]{3}", code) or not number.isdigit() or int(number) == 0:
            raise ConfigurationError(
                "NGO_MAX_DONATION_MINOR must be a whole number of minor units above 0 or "
                f"entries like EUR=1000000, not {text!r}."
            )
        limits[code] = int(number)
    if not limits:
        raise ConfigurationError("NGO_MAX_DONATION_MINOR must not be empty.")
    return limits


def max_donation_minor(currency: str) -> int:
    limits = parse_max_donation(str(current_app.config.get("MAX_DONATION_MINOR") or "1000000"))
    if isinstance(limits, int):
        return limits
    return limits.get(currency, max(limits.values()))


def parse_amount(text: str, currency: str) -> int:
    """What the donor typed, in minor units; GiftError at the amount field for zero, negative,
    non-numeric, too precise, or above the configured maximum."""
    if currency not in CURRENCIES:
        raise GiftError(_l("Choose one of the currencies offered."), field="currency")
    try:
        amount = parse_minor(text, currency)
    except MoneyError as exc:
        message = _amount_messages(currency).get(
            exc.code,
            _l("Type the amount in digits, like 50 or 50.00."),
        )
        raise GiftError(message, field="amount") from exc
    if amount == 0:
        raise GiftError(_l("Enter an amount above zero."), field="amount")
    if amount > max_donation_minor(currency):
        raise GiftError(_l("That amount is above the largest gift accepted here."), field="amount")
    if amount < MINIMUM_MINOR[currency]:
        raise GiftError(_l("That amount is below the smallest gift accepted here."), field="amount")
    return amount


def open_for_gifts(appeal: Appeal) -> bool:
    """Listed on the public site, and still asking for money under its over-funding policy:
    campaigns' rule, which the appeal page and the cards show their call to give by."""
    return appeal_open_for_gifts(appeal)


def existing_gift(idempotency_key: str) -> Donation | None:
    if not _KEY.fullmatch(idempotency_key or ""):
        return None
    return db.session.scalars(
        select(Donation).where(Donation.idempotency_key == idempotency_key)
    ).first()


def _line_of(appeal: Appeal, line_id: int | None) -> BudgetLine | None:
    if line_id is None:
        return None
    line = next((line for line in appeal.budget_lines if line.id == line_id), None)
    if line is None:
        raise GiftError(_l("Choose one of this appeal's budget lines."), field="designation")
    return line


def _donor(appeal: Appeal, request: GiftRequest) -> Donor:
    """The organisation's donor with this e-mail (found through the blind index), or a new one."""
    index = email_index(request.email)
    donor = db.session.scalars(
        select(Donor).where(
            Donor.organisation_id == appeal.organisation_id,
            Donor.email_index == index,
            Donor.erased_at.is_(None),
        )
    ).first()
    if donor is None:
        donor = Donor(organisation_id=appeal.organisation_id, email=request.email.strip())
        donor.email_index = index
        db.session.add(donor)
    donor.locale = request.locale
    donor.wants_updates = donor.wants_updates or request.wants_updates
    return donor


def _new_reference() -> str:
    # Check character, unambiguous letters, no vowels: see donations.references.
    for _ in range(8):
        code = references.generate_reference()
        taken = db.session.scalar(select(Donation.id).where(Donation.reference_code == code))
        if taken is None:
            return code
    raise GiftError(_l("Something went wrong. Please send the form again."))


def start_gift(appeal: Appeal, request: GiftRequest, *, online_available: bool) -> Donation:
    """A pending Donation for what the donor asked; the gift of an earlier post of the same
    form (same idempotency key) if there was one."""
    earlier = existing_gift(request.idempotency_key)
    if earlier is not None:
        return earlier
    if not _KEY.fullmatch(request.idempotency_key or ""):
        raise GiftError(_l("This form has expired. Please check it and send it again."))
    if not open_for_gifts(appeal):
        raise GiftError(_l("This appeal is not accepting gifts at the moment."))
    amount = parse_amount(request.amount_text, request.currency)
    line = _line_of(appeal, request.line_id)
    if request.method == ONLINE and not online_available:
        raise GiftError(_l("Online payment is not available: choose bank transfer."), "method")
    if request.method not in (ONLINE, BANK_TRANSFER):
        raise GiftError(_l("Choose how you want to pay."), field="method")
    if request.monthly and request.method != ONLINE:
        raise GiftError(
            _l("Monthly gifts are paid online. For a bank transfer, choose a one-off gift."),
            field="frequency",
        )
    if (
        request.method == BANK_TRANSFER
        and bank_account_for(appeal.organisation_id, request.currency) is None
    ):
        raise GiftError(
            _l(
                "Bank transfers in %(currency)s are not possible: choose another currency.",
                currency=request.currency,
            ),
            field="currency",
        )
    email = request.email.strip()
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        raise GiftError(_l("Enter the e-mail address your receipt goes to."), field="email")
    display_name = checked_display_name(appeal, request.display_name, donor_email=email)
    message = request.message.strip()
    if len(message) > MESSAGE_MAX:
        raise GiftError(
            _l("Use at most %(max)d characters for the message.", max=MESSAGE_MAX),
            field="message",
        )
    donation_texts.check_message(appeal, message, donor_email=email)
    fee_covered = fee_to_cover(amount, request.currency) if request.cover_fee else 0
    if request.method != ONLINE:
        fee_covered = 0  # a bank transfer has no payment fee to cover
    if amount + fee_covered > max_donation_minor(request.currency):
        raise GiftError(_l("That amount is above the largest gift accepted here."), field="amount")
    donation = Donation(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        budget_line_id=line.id if line is not None else None,
        donor=_donor(appeal, request),
        amount_minor=amount + fee_covered,
        currency=request.currency,
        fee_covered_minor=fee_covered,
        # Online, the method the donor picks on Stripe's page is known when it is paid.
        method=PaymentMethod.CARD.value if request.method == ONLINE else BANK_TRANSFER,
        frequency=(Frequency.MONTHLY if request.monthly else Frequency.ONE_OFF).value,
        display_name=display_name,
        display_name_checked_at=utcnow() if display_name else None,
        message=message or None,
        idempotency_key=request.idempotency_key,
    )
    if request.method == BANK_TRANSFER:
        donation.reference_code = _new_reference()
    db.session.add(donation)
    db.session.flush()
    return donation
