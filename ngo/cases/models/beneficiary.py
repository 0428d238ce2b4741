"""The beneficiary: every personal field is encrypted; names are searchable by blind index."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.models import User
from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class CaseStatus(StrEnum):
    INTAKE = "intake"
    ASSESSMENT = "assessment"
    ACTIVE = "active"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def new_case_reference() -> str:
    """Random, so that case URLs reveal neither the number of cases nor their order."""
    return secrets.token_urlsafe(9)


class Beneficiary(Model):
    __tablename__ = "beneficiaries"
    # Staff URLs name a case by its reference (accounts.access.load_in_organisation).
    lookup_key = "reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_case_reference)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.INTAKE.value, index=True)
    risk_level: Mapped[str] = mapped_column(String(16), default=RiskLevel.MEDIUM.value)
    assigned_caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # Set by erasure: personal fields are gone, financial and audit records stay.
    erased_at: Mapped[datetime | None]

    # Personal data, encrypted at rest (see ngo.crypto).
    legal_name: Mapped[str | None] = mapped_column(EncryptedText)
    public_name: Mapped[str | None] = mapped_column(EncryptedText)
    date_of_birth_text: Mapped[str | None] = mapped_column("date_of_birth", EncryptedText)
    nationality: Mapped[str | None] = mapped_column(EncryptedText)
    country_of_residence: Mapped[str | None] = mapped_column(EncryptedText)
    city_of_residence: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    email: Mapped[str | None] = mapped_column(EncryptedText)
    messenger: Mapped[str | None] = mapped_column(EncryptedText)
    legal_status: Mapped[str | None] = mapped_column(EncryptedText)
    needs: Mapped[str | None] = mapped_column(EncryptedText)
    vulnerabilities: Mapped[str | None] = mapped_column(EncryptedText)
    closed_reason: Mapped[str | None] = mapped_column(EncryptedText)

    assigned_caseworker: Mapped[User | None] = relationship()
    household: Mapped[list[HouseholdMember]] = relationship(
        back_populates="beneficiary", cascade="all, delete-orphan", order_by="HouseholdMember.id"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="beneficiary",
        cascade="all, delete-orphan",
        order_by="CaseNote.created_at.desc()",
    )
    tasks: Mapped[list[CaseTask]] = relationship(
        back_populates="beneficiary", cascade="all, delete-orphan", order_by="CaseTask.due_date"
    )

    @property
    def date_of_birth(self) -> date | None:
        return date.fromisoformat(self.date_of_birth_text) if self.date_of_birth_text else None

    @date_of_birth.setter
    def date_of_birth(self, value: date | None) -> None:
        self.date_of_birth_text = value.isoformat() if value else None

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("case", self.id)

    @property
    def display_label(self) -> str:
        """What staff lists show: the public name, else the legal name, else the reference."""
        if self.erased_at is not None:
            return f"[erased {self.reference}]"
        return self.public_name or self.legal_name or self.reference


class BeneficiaryNameIndex(Model):
    """One keyed hash per word of the legal and public names: search without plaintext."""

    __tablename__ = "beneficiary_name_index"
    # Covering (org, token, beneficiary): the search is answered from the index alone.
    __table_args__ = (
        Index("ix_beneficiary_name_index_lookup", "organisation_id", "token", "beneficiary_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    token: Mapped[str] = mapped_column(String(32))


class HouseholdMember(Model):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    relationship_to_beneficiary: Mapped[str | None] = mapped_column("relationship", EncryptedText)
    first_name: Mapped[str | None] = mapped_column(EncryptedText)
    age_text: Mapped[str | None] = mapped_column("age", EncryptedText)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="household")

    @property
    def age(self) -> int | None:
        return int(self.age_text) if self.age_text else None

    @age.setter
    def age(self, value: int | None) -> None:
        self.age_text = None if value is None else str(value)


class CaseNote(Model):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str | None] = mapped_column(EncryptedText)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class CaseTask(Model):
    __tablename__ = "case_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str | None] = mapped_column(EncryptedText)
    due_date: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="tasks")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
