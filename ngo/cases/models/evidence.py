"""Evidence documents: the file is encrypted on disk outside the web root."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.models import User
from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class EvidenceKind(StrEnum):
    COURT_VERDICT = "court_verdict"
    RELEASE_CERTIFICATE = "release_certificate"
    HUMAN_RIGHTS_LISTING = "human_rights_listing"
    IDENTITY_DOCUMENT = "identity_document"
    PROTECTION_APPLICATION = "protection_application"
    QUOTE_OR_INVOICE = "quote_or_invoice"
    CONSENT_FORM = "consent_form"
    OTHER = "other"


class EvidenceItem(Model):
    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(EncryptedText)
    # A listing by a human-rights organisation is a URL and a date rather than a file.
    source_url: Mapped[str | None] = mapped_column(EncryptedText)
    source_date: Mapped[date | None]
    # Random name of the encrypted file under NGO_FILES_PATH; None for a URL-only item.
    storage_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    content_type: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    original_filename: Mapped[str | None] = mapped_column(EncryptedText)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("case", self.beneficiary_id)
