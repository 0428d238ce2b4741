"""Appeal, its translations and budget lines."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.extensions import Model
from ngo.timeutil import utcnow


class AllocationRule(StrEnum):
    """How a gift for the whole appeal is shared among its budget lines."""

    # Essential lines in priority order, then the stretch lines in priority order.
    PRIORITY = "priority"
    # Each line of the tier being funded gets a share in proportion to what it still needs.
    PRO_RATA = "pro_rata"


class OverfundingPolicy(StrEnum):
    """What happens once the essential lines are funded; the public page says which applies."""

    # Giving closes when the essential lines are funded.
    STOP = "stop"
    # Giving goes on into the stretch lines and closes when every line is funded.
    STRETCH = "stretch"
    # As STRETCH, and after that gifts are accepted and passed to the organisation's general fund.
    GENERAL_FUND = "general_fund"


class AppealStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    FUNDED = "funded"
    CLOSED = "closed"
    ARCHIVED = "archived"


class Category(StrEnum):
    POLITICAL_PRISONERS = "political_prisoners"
    FAMILIES = "families"
    MEDICAL = "medical"
    LEGAL = "legal"
    RELOCATION = "relocation"
    EDUCATION = "education"


def new_public_slug() -> str:
    """Random: a slug made from a person's name would leak it, a sequence would let the
    watchers enumerate every appeal."""
    return secrets.token_urlsafe(8).lower().replace("_", "x").replace("-", "y")


class CategorisedMixin:
    """Categories stored comma-joined in a `categories` column (",a,b," matches ",a," in SQL),
    read and written as a list: appeals, and the grants that fund appeals by category."""

    categories: Mapped[str]

    @property
    def category_list(self) -> list[Category]:
        return [Category(c) for c in self.categories.split(",") if c]

    @category_list.setter
    def category_list(self, values: list[Category]) -> None:
        self.categories = ",".join(sorted({Category(v).value for v in values}))


class Appeal(CategorisedMixin, Model):
    __tablename__ = "appeals"
    # Staff URLs name an appeal by its slug (accounts.access.load_in_organisation).
    lookup_key = "slug"
    # The public list (newest listed first) and its count read from this index alone; the
    # countries of the listed appeals are found with one seek each in the second.
    __table_args__ = (
        Index("ix_appeals_listed_published_at", "listed", "published_at", "listed_until"),
        Index("ix_appeals_listed_country", "listed", "country", "listed_until"),
        # The public list's count (public.browse.queries._list_statements).
        Index("ix_appeals_listed_until", "listed", "listed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_slug)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    # The verified story version the public story was copied from.
    story_version_id: Mapped[int | None] = mapped_column(ForeignKey("story_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.DRAFT.value, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    fallback_language: Mapped[str] = mapped_column(String(8), default="en")
    country: Mapped[str | None] = mapped_column(String(2))
    categories: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[date | None]
    update_interval_days: Mapped[int] = mapped_column(default=60)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Everyone who changed the public content since it was last approved (four eyes).
    editor_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The digest of the content the approver saw (campaigns.review).
    approved_digest: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None]
    # Money counters, in minor units of `currency`, updated in the same transaction as the
    # money movement (donations issue), so public pages never sum donation tables.
    raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # How many gifts to the appeal are confirmed (a gift refunded in full or disputed no
    # longer counts), moved with `raised_minor`: cards show it without counting donations.
    donations_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # How gifts are shared among the lines, and what happens after the essential ones are
    # funded (donations.allocation applies them).
    allocation_rule: Mapped[str] = mapped_column(
        String(16),
        default=AllocationRule.PRIORITY.value,
        server_default=AllocationRule.PRIORITY.value,
    )
    overfunding_policy: Mapped[str] = mapped_column(
        String(16),
        default=OverfundingPolicy.STRETCH.value,
        server_default=OverfundingPolicy.STRETCH.value,
    )
    # Sums of the budget lines, kept by the budget services so lists can sort and filter by
    # funding without loading every line.
    goal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    essential_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Whether the public site shows the appeal, recomputed from the publication gate in the
    # transaction of every change that could affect it (see campaigns.visibility), and until
    # when: the earliest expiry of the verification and consents it relies on.
    listed: Mapped[bool] = mapped_column(default=False)
    listed_until: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]

    translations: Mapped[list[AppealTranslation]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", order_by="AppealTranslation.language"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="appeal",
        cascade="all, delete-orphan",
        order_by="(BudgetLine.priority, BudgetLine.id)",
    )

    @property
    def audit_object(self) -> tuple[str, int]:
        """What audit events about it are filed under (ngo.audit.record_change)."""
        return ("appeal", self.id)


class AppealTranslation(Model):
    """Public text of an appeal in one language; it is checked for private values before
    publication, like everything public."""

    __tablename__ = "appeal_translations"
    __table_args__ = (UniqueConstraint("appeal_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600), default="")
    story_markdown: Mapped[str] = mapped_column(Text, default="")
    display_name: Mapped[str] = mapped_column(String(120), default="")

    appeal: Mapped[Appeal] = relationship(back_populates="translations")


class BudgetLine(Model):
    __tablename__ = "budget_lines"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("funded_minor >= 0 AND spent_minor >= 0", name="counters_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    priority: Mapped[int] = mapped_column(default=1)
    essential: Mapped[bool] = mapped_column(default=True)
    # An evidence item (a rent quote, an invoice) behind the amount, shown to staff.
    evidence_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    # Counters updated with the money movements of the donations issue.
    funded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    appeal: Mapped[Appeal] = relationship(back_populates="budget_lines")
    # In the order they were written, which is the order a lazy load gave them.
    labels: Mapped[list[BudgetLineLabel]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="BudgetLineLabel.id"
    )


class BudgetLineLabel(Model):
    __tablename__ = "budget_line_labels"
    __table_args__ = (UniqueConstraint("budget_line_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")

    line: Mapped[BudgetLine] = relationship(back_populates="labels")


class PublicSiteVersion(Model):
    """One row: bumped in every transaction that changes what the public site shows, with the
    earliest moment a listing runs out. Web workers keep rendered public pages while both say
    the page is current, so a reader gets a cached page only if it is still true."""

    __tablename__ = "public_site_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    next_expiry: Mapped[datetime | None]
