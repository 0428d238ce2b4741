"""A person's story, written in versions, each verified by someone who did not write it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.models import User
from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    RETURNED = "returned"
    SUPERSEDED = "superseded"


class CheckKind(StrEnum):
    IDENTITY = "identity"
    PERSECUTION = "persecution"
    CURRENT_SITUATION = "current_situation"
    BUDGET = "budget"


class Story(Model):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[StoryVersion]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="StoryVersion.number"
    )

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("case", self.beneficiary_id)


class StoryVersion(Model):
    __tablename__ = "story_versions"
    __table_args__ = (UniqueConstraint("story_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str | None] = mapped_column(EncryptedText)
    body_markdown: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT.value)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    story: Mapped[Story] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    verifications: Mapped[list[Verification]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Verification.id"
    )


class Verification(Model):
    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_version_id: Mapped[int] = mapped_column(
        ForeignKey("story_versions.id", ondelete="CASCADE"), index=True
    )
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved: Mapped[bool]
    comments: Mapped[str | None] = mapped_column(EncryptedText)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Only approvals expire; the case then shows the story as due for re-verification.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)

    version: Mapped[StoryVersion] = relationship(back_populates="verifications")
    verifier: Mapped[User | None] = relationship()
    checks: Mapped[list[VerificationCheck]] = relationship(
        back_populates="verification", cascade="all, delete-orphan", order_by="VerificationCheck.id"
    )


class VerificationCheck(Model):
    __tablename__ = "verification_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_id: Mapped[int] = mapped_column(
        ForeignKey("verifications.id", ondelete="CASCADE"), index=True
    )
    check: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool]
    evidence_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(EncryptedText)

    verification: Mapped[Verification] = relationship(back_populates="checks")
    # Every item the check cites (a verdict and a release certificate for one persecution);
    # evidence_item_id above is the first of them, kept for what reads one item.
    cited: Mapped[list[VerificationCheckEvidence]] = relationship(
        cascade="all, delete-orphan", order_by="VerificationCheckEvidence.evidence_item_id"
    )

    @property
    def evidence_ids(self) -> list[int]:
        """The ids of every item cited, the first one too (older checks cite only it)."""
        ids = [link.evidence_item_id for link in self.cited]
        if self.evidence_item_id is not None and self.evidence_item_id not in ids:
            ids.insert(0, self.evidence_item_id)
        return ids


class VerificationCheckEvidence(Model):
    """One item of evidence cited by a check."""

    __tablename__ = "verification_check_evidence"

    check_id: Mapped[int] = mapped_column(
        ForeignKey("verification_checks.id", ondelete="CASCADE"), primary_key=True
    )
    evidence_item_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
