"""Receipts: one document per confirmed gift, per refund or chargeback (a cancellation note),
and per donor and year (the annual consolidated receipt), each numbered without gaps per
organisation and year.

The PDF is stored as sent (encrypted: it holds the donor's name) with its SHA-256, rather than
rendered again on each download. A receipt is a document of record for the donor's tax return:
what they download next spring must be byte for byte what they were sent, even after the
organisation changed its address, its tax note or a template, and the stored hash lets the
treasurer show that a copy presented to them is the one issued.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ngo.crypto import EncryptedBytes
from ngo.extensions import Model
from ngo.timeutil import utcnow


class ReceiptKind(StrEnum):
    RECEIPT = "receipt"
    CANCELLATION = "cancellation"
    ANNUAL = "annual"


def new_receipt_public_id() -> str:
    # What the donor's signed link names: random, so it says nothing about the gift or order.
    return secrets.token_urlsafe(12)


class ReceiptCounter(Model):
    """The last number issued per organisation and year. Issuing a number locks this row
    (SELECT ... FOR UPDATE) in the transaction that inserts the receipt, so two workers cannot
    take the same number, and a transaction that fails rolls the counter back with its receipt:
    no gap, and no number handed out twice."""

    __tablename__ = "receipt_counters"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_sequence: Mapped[int] = mapped_column(default=0)


class Receipt(Model):
    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "sequence", name="uq_receipts_sequence"),
        UniqueConstraint("organisation_id", "number", name="uq_receipts_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_receipt_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # What the receipt is for, once: "donation:<id>", "reversal:<ledger id>",
    # "annual:<donor id>:<year>". Running a task twice finds the receipt the first run made.
    subject_key: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    # "2026-000123": the year, then the sequence within the organisation's year.
    number: Mapped[str] = mapped_column(String(16))
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    # A cancellation note: the refund or chargeback, and the receipt it cancels (part of).
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    # The amount the document states, in the gift's currency (None on an annual receipt,
    # which may total several currencies).
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8), default="en")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf: Mapped[bytes | None] = mapped_column(EncryptedBytes)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # Committed with the record of the sent mail (see delivery.py).
    emailed_at: Mapped[datetime | None]
    # An annual receipt's e-mail refused for good (its safe reason, "SMTP 550"): it belongs to
    # no single gift, whose own record notes the refusal of its receipt (Donation.mail_failed_at).
    mail_failed_at: Mapped[datetime | None]
    mail_failure: Mapped[str | None] = mapped_column(String(200))

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("receipt", self.id)


class ReceiptTaxNote(Model):
    """The organisation's note on tax deductibility, in one language, printed on its receipts
    in that language. Donors read it, so it passes the publication safety check."""

    __tablename__ = "receipt_tax_notes"
    __table_args__ = (UniqueConstraint("organisation_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
