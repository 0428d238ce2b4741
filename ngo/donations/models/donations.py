"""A gift and how it was paid. Amounts are integer minor units of their currency; a gift in
another currency than its appeal's stores the rate used and the rate's date."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.crypto import EncryptedText
from ngo.donations.models.donors import Donor
from ngo.extensions import Model
from ngo.timeutil import utcnow


class DonationStatus(StrEnum):
    # Waiting for the payment provider's webhook or the bank statement.
    PENDING = "pending"
    CONFIRMED = "confirmed"
    # Entered by a treasurer above the threshold: waits for a second person.
    AWAITING_APPROVAL = "awaiting_approval"
    # A gift entered by hand that the second person turned down: it never reached the ledger.
    REJECTED = "rejected"
    FAILED = "failed"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


class PaymentMethod(StrEnum):
    CARD = "card"
    BLIK = "blik"
    P24 = "p24"
    SEPA_DEBIT = "sepa_debit"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    OTHER = "other"


class Frequency(StrEnum):
    ONE_OFF = "one_off"
    MONTHLY = "monthly"


def new_public_id() -> str:
    # In signed links and the public ledger: unguessable, and says nothing about the gift.
    return secrets.token_urlsafe(12)


class Donation(Model):
    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("fee_covered_minor >= 0", name="fee_covered_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    # The designation: one budget line, or None for the whole appeal.
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id"))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    recurring_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurring_plans.id"), index=True
    )
    # What the donor gives, in the currency they chose, including any fee they chose to cover.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fee_covered_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    method: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(8), default=Frequency.ONE_OFF.value)
    status: Mapped[str] = mapped_column(
        String(20), default=DonationStatus.PENDING.value, index=True
    )
    # Set when confirmed: the fee the provider charged (in the gift's currency), the amount in
    # the appeal's currency and, when they differ, the rate used and its date and source.
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    appeal_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    rate: Mapped[str | None] = mapped_column(String(32))
    rate_date: Mapped[date | None]
    rate_source: Mapped[str | None] = mapped_column(String(16))
    # Public only if the donor chose one for this gift, and only after the safety check.
    display_name: Mapped[str | None] = mapped_column(String(80))
    # Set by donations.display_names when the name passed the check: the public ledger shows
    # a display name only then ("Anonymous" otherwise).
    display_name_checked_at: Mapped[datetime | None]
    message: Mapped[str | None] = mapped_column(EncryptedText)
    # For bank transfers: the neutral code the donor writes in the transfer's title.
    reference_code: Mapped[str | None] = mapped_column(String(24), unique=True)
    # One form submission is one gift, however often it is sent.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The private code printed on the receipt; the public ledger shows only receipt_code_hash.
    receipt_code: Mapped[str | None] = mapped_column(EncryptedText)
    receipt_code_lookup: Mapped[str | None] = mapped_column(String(64), index=True)
    receipt_code_hash: Mapped[str | None] = mapped_column(String(64))
    # Gifts a treasurer enters (cash, other) above the threshold need a second person.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_on: Mapped[date | None]
    # The treasurer's note on a gift entered by hand (where and how it came): may name people.
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # Money returned: refunds and chargebacks, in the gift's currency.
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The donor's mail server refused the receipt e-mail for good (5xx): when, and the code
    # ("SMTP 550 recipient refused"), never the server's text, which repeats the address.
    mail_failed_at: Mapped[datetime | None]
    mail_failure: Mapped[str | None] = mapped_column(String(200))

    donor: Mapped[Donor | None] = relationship()

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("donation", self.id)


class Payment(Model):
    """One thing a payment provider knows about a gift (a Checkout session, a payment intent,
    an invoice of a monthly plan), by the provider's id."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecurringPlan(Model):
    """A monthly gift: each paid invoice becomes its own confirmed donation."""

    __tablename__ = "recurring_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id"))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.cancelled_at is None
