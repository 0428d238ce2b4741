"""Consent per item and audience: what may be shown, to whom, until when."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class ConsentItem(StrEnum):
    PUBLIC_NAME = "public_name"
    PHOTO = "photo"
    CITY = "city"
    STORY = "story"
    IMPRISONMENT_HISTORY = "imprisonment_history"
    FAMILY_DETAILS = "family_details"


class ConsentAudience(StrEnum):
    PUBLIC_PAGE = "public_page"
    DONOR_EMAILS = "donor_emails"
    FUNDER_REPORTS = "funder_reports"


class ConsentMethod(StrEnum):
    SIGNED_FORM = "signed_form"
    VERBAL_WITNESSED = "verbal_witnessed"


class Consent(Model):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(32))
    given_on: Mapped[date]
    expires_on: Mapped[date | None]
    method: Mapped[str] = mapped_column(String(32))
    # A signed form is an evidence item; verbal consent names its witness (encrypted).
    form_evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    witness_name: Mapped[str | None] = mapped_column(EncryptedText)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def in_force(self, on: date) -> bool:
        return (
            self.withdrawn_at is None
            and self.given_on <= on
            and (self.expires_on is None or self.expires_on >= on)
        )

    beneficiary = relationship("Beneficiary")
