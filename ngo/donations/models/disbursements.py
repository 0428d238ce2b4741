"""Money paid out of an appeal's budget line: to the person, or to a supplier such as a landlord.

Amounts are minor units of the appeal's currency. The payee note may name a landlord or hold
an address, so it is encrypted like a beneficiary's data; the proof (an invoice, a transfer
confirmation) is an evidence item of the case, encrypted and never public. Only the short
public description (checked by the publication safety check), the date, the line and the
amount reach the public pages.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ngo.crypto import EncryptedText
from ngo.donations.models.donations import new_public_id
from ngo.extensions import Model
from ngo.timeutil import utcnow


class DisbursementStatus(StrEnum):
    # Above the approval threshold: waits for a second person; nothing is posted yet.
    AWAITING_APPROVAL = "awaiting_approval"
    # Posted to the ledger and counted in the line's "spent".
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class PayeeKind(StrEnum):
    BENEFICIARY = "beneficiary"
    SUPPLIER = "supplier"


class Disbursement(Model):
    __tablename__ = "disbursements"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date]
    payee_kind: Mapped[str] = mapped_column(String(16))
    # Staff only: who was paid and why (a landlord's name, an address).
    payee_note: Mapped[str | None] = mapped_column(EncryptedText)
    # Public: passed the publication safety check when recorded.
    public_description: Mapped[str] = mapped_column(String(200))
    # The evidence item of the case holding the proof; None once the case's files are erased.
    proof_evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(
        String(20), default=DisbursementStatus.AWAITING_APPROVAL.value, index=True
    )
    # Spending beyond what the line has funded, allowed on purpose; the reason is for staff.
    overspend_override: Mapped[bool] = mapped_column(default=False)
    override_reason: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who approved, rejected or withdrew it, and when.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("disbursement", self.id)

    @property
    def posted(self) -> bool:
        return self.status == DisbursementStatus.APPROVED.value
