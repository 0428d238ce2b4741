"""The report archive and the organisations' signing keys.

A Report is frozen: the data it was rendered from is kept as a JSON snapshot beside the signed
PDF and its SHA-256, so what a funder received can be shown again and checked, whatever the
appeal looks like today. The PDF is public-audience or funder-audience text only (it passed
the publication safety check), so it is stored as it is; the signing key is not, and is
encrypted with the data keys."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ngo.crypto import EncryptedBytes
from ngo.extensions import Model
from ngo.timeutil import utcnow


class ReportKind(StrEnum):
    APPEAL = "appeal"
    PORTFOLIO = "portfolio"


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"


class Report(Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # The consent audience every text of the report was checked for (ConsentAudience values).
    audience: Mapped[str] = mapped_column(String(32))
    appeal_id: Mapped[int | None] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    # A funder's portfolio report (ngo.reports.funders): the funder it was made for.
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"), index=True)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    # Shown to staff: a reason they can act on (the safety check's finding), never a value.
    error: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)


class SigningKeySource(StrEnum):
    GENERATED = "generated"
    UPLOADED = "uploaded"


class SigningKey(Model):
    """The key and certificate an organisation signs its reports with: generated (self-signed,
    naming the legal name) on first need, or uploaded by an admin as PKCS#12. One per
    organisation; a new one replaces the old, and reports signed before keep their
    certificate inside their signature."""

    __tablename__ = "report_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    source: Mapped[str] = mapped_column(String(16))
    # DER of the signing certificate; PEM of each further certificate of its chain (uploaded).
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)
    private_key: Mapped[bytes] = mapped_column(EncryptedBytes)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
