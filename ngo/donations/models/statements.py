"""Imported bank statements, their credit lines and the reconciliation queue, and the CSV
column mappings saved per bank.

Only credit lines are stored: a debit is the organisation's own payment, never a gift, and its
payee's name is personal data we have no use for (debits are counted on the import). What the
bank says about a donor (the transfer's title, the sender's name, the bank's reference) is
encrypted like every other personal field; the line's identity is a digest of what is not
personal (see `donations.statements.parsed`), unique per organisation, so a statement imported
twice adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.money import Money
from ngo.timeutil import utcnow


class LineStatus(StrEnum):
    MATCHED = "matched"  # confirmed a pending bank-transfer donation by its code and amount
    QUEUED = "queued"  # waits for a treasurer in the reconciliation queue
    ASSIGNED = "assigned"  # a treasurer made it a gift to an appeal (or line)
    UNRELATED = "unrelated"  # a treasurer said it is not a gift (a grant, a refund, a mistake)


class QueueReason(StrEnum):
    NO_REFERENCE = "no_reference"  # no valid code in the title
    UNKNOWN_REFERENCE = "unknown_reference"  # codes, but no donation of ours has them
    AMOUNT_DIFFERS = "amount_differs"  # a pending donation has the code, not this amount
    AMBIGUOUS = "ambiguous"  # several pending donations could be meant
    ALREADY_CONFIRMED = "already_confirmed"  # the code's donation is already paid


class StatementImport(Model):
    __tablename__ = "statement_imports"
    __table_args__ = (UniqueConstraint("organisation_id", "file_digest", "statement_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    format: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the file; with statement_key (which of the file's statements) it makes
    # importing the same file again a no-op.
    file_digest: Mapped[str] = mapped_column(String(64))
    statement_key: Mapped[int] = mapped_column(default=0)
    statement_id: Mapped[str | None] = mapped_column(String(80))
    account_iban: Mapped[str | None] = mapped_column(String(34))
    currency: Mapped[str | None] = mapped_column(String(3))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    line_count: Mapped[int] = mapped_column(default=0)
    matched_count: Mapped[int] = mapped_column(default=0)
    queued_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    debit_count: Mapped[int] = mapped_column(default=0)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("statement_import", self.id)


class StatementLine(Model):
    __tablename__ = "statement_lines"
    __table_args__ = (UniqueConstraint("organisation_id", "identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("statement_imports.id"), index=True)
    identity: Mapped[str] = mapped_column(String(64))
    booking_date: Mapped[date]
    value_date: Mapped[date | None]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    remittance_text: Mapped[str | None] = mapped_column(EncryptedText)
    counterparty_name: Mapped[str | None] = mapped_column(EncryptedText)
    bank_reference: Mapped[str | None] = mapped_column(EncryptedText)
    # The valid codes found in the title, formatted, comma-separated (neutral by design).
    references: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), index=True)
    queue_reason: Mapped[str | None] = mapped_column(String(24))
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("statement_line", self.id)

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def reference_list(self) -> list[str]:
        return [r for r in self.references.split(",") if r]


class StatementMapping(Model):
    """How one bank's CSV is read (`donations.statements.CsvMapping` as JSON), by a name the
    treasurer chose ("mBank", "PKO BP")."""

    __tablename__ = "statement_mappings"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("statement_mapping", self.id)
