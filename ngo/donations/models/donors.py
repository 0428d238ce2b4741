"""Donors: the people behind gifts. Everything that could identify one is encrypted; an e-mail
is found again through a keyed blind index, never by reading the column."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ngo.crypto import EncryptedText, blind_index
from ngo.extensions import Model
from ngo.timeutil import utcnow

EMAIL_INDEX_PURPOSE = "donor-email"


def email_index(email: str) -> str:
    return blind_index(EMAIL_INDEX_PURPOSE, email.strip().casefold())


class Donor(Model):
    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # As the donor gave it, for their receipt only; None when they gave none or were erased.
    name: Mapped[str | None] = mapped_column(EncryptedText)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    wants_updates: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Erasure removes the person and keeps their gifts: the ledger stays whole.
    erased_at: Mapped[datetime | None]

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("donor", self.id)
