"""Exchange rates, per 1 euro: the European Central Bank's daily reference rates (shared by
every organisation) and rates an organisation's staff entered by hand (its own only), plus the
failed fetches of the ECB's file, shown to staff on the rates page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Dialect, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ngo.extensions import Model
from ngo.timeutil import utcnow


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as its text ("4.2870"): SQLite has no decimal type and would
    hand back a float, and a rate that drifts in the last digit changes converted amounts."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"DecimalText stores a finite Decimal, not {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - only a hand-edited row
            raise ValueError("a stored rate is not a decimal number") from exc


class RateSource(StrEnum):
    ECB = "ecb"
    ADMIN = "admin"


class ExchangeRate(Model):
    """How many units of `currency` one euro buys on `rate_date`. ECB rows have no
    organisation; an admin's row belongs to the organisation whose staff entered it and is
    used only for that organisation's conversions."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        CheckConstraint(
            "(source = 'ecb' AND organisation_id IS NULL AND entered_by_id IS NULL)"
            " OR (source = 'admin' AND organisation_id IS NOT NULL)",
            name="source",
        ),
        # Importing the same file twice stores each rate once.
        Index(
            "uq_exchange_rates_ecb_day",
            "currency",
            "rate_date",
            unique=True,
            sqlite_where=text("source = 'ecb'"),
            postgresql_where=text("source = 'ecb'"),
        ),
        Index(
            "uq_exchange_rates_admin_day",
            "organisation_id",
            "currency",
            "rate_date",
            unique=True,
            sqlite_where=text("source = 'admin'"),
            postgresql_where=text("source = 'admin'"),
        ),
        Index("ix_exchange_rates_lookup", "currency", "rate_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(DecimalText)
    rate_date: Mapped[date]
    source: Mapped[str] = mapped_column(String(8))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("exchange_rate", self.id)


class RateFetchFailure(Model):
    """One failed fetch of the ECB's rates: when, from where, and what went wrong (the kind
    and a short technical message; no personal data is ever involved)."""

    __tablename__ = "rate_fetch_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    url: Mapped[str] = mapped_column(String(500))
    # network, http_status, too_large, malformed
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500))
