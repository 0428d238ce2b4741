"""An organisation's bank accounts, one active account per currency, where donors transfer to
and whose statements the treasurer imports."""

from __future__ import annotations

from datetime import datetime

from schwifty import IBAN
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.models import Organisation
from ngo.extensions import Model
from ngo.timeutil import utcnow


class BankAccount(Model):
    """IBAN and BIC are stored normalised (compact, upper case) by `donations.bank_accounts`.
    A retired account stays: statements and donations that name it still load, and its IBAN
    still finds the organisation (`find_organisation_by_iban`)."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        # One active account per currency: a donor is never offered two.
        Index(
            "uq_bank_accounts_active_currency",
            "organisation_id",
            "currency",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    iban: Mapped[str] = mapped_column(String(34), index=True)
    bic: Mapped[str] = mapped_column(String(11))
    account_holder: Mapped[str] = mapped_column(String(140))
    bank_name: Mapped[str | None] = mapped_column(String(140))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None]
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_active(self) -> bool:
        return self.retired_at is None

    @property
    def iban_formatted(self) -> str:
        """In groups of four, as printed on paper and typed into a banking app."""
        return str(IBAN(self.iban, allow_invalid=True).formatted)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("bank_account", self.id)
