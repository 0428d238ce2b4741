"""Funders of an organisation, their contacts, grants and report subscriptions, and each
portfolio report sent to a subscription.

A funder is an organisation (a foundation, an embassy's fund), so its name is not personal
data; the people behind it are, so the contact details are encrypted. The people who sign in
for a funder are users with the `funder` role in the NGO's organisation, linked to the funder
by a FunderContact; a grant links the funder to appeals (by appeal or by category)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.accounts.models import User
from ngo.campaigns.models import Appeal, CategorisedMixin
from ngo.crypto import EncryptedText
from ngo.extensions import Model
from ngo.reports.funders.periods import Frequency
from ngo.reports.models import Report
from ngo.timeutil import utcnow


class Funder(Model):
    __tablename__ = "funders"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    # The people at the funder and how to reach them: personal data.
    contact_person: Mapped[str | None] = mapped_column(EncryptedText)
    contact_email: Mapped[str | None] = mapped_column(EncryptedText)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[FunderContact]] = relationship(
        back_populates="funder", cascade="all, delete-orphan", order_by="FunderContact.id"
    )
    grants: Mapped[list[Grant]] = relationship(
        back_populates="funder", cascade="all, delete-orphan", order_by="Grant.starts_on"
    )

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("funder", self.id)


class FunderContact(Model):
    """A person who signs in for the funder: a user with the funder role, or, until they accept,
    the invitation sent to them (ngo.accounts.invitations)."""

    __tablename__ = "funder_contacts"
    __table_args__ = (
        UniqueConstraint("funder_id", "user_id"),
        UniqueConstraint("invitation_id"),
        CheckConstraint("user_id IS NOT NULL OR invitation_id IS NOT NULL", name="user_or_invite"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last permanent refusal of mail to this person (an SMTP 5xx): shown to staff, cleared
    # when a later report reaches them. Only the server's reply code, never the address.
    mail_failed_at: Mapped[datetime | None]
    mail_failure: Mapped[str | None] = mapped_column(String(120))

    funder: Mapped[Funder] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()


grant_appeals = Table(
    "grant_appeals",
    Model.metadata,
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True),
    Column("appeal_id", ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True),
)


class Grant(CategorisedMixin, Model):
    """Money a funder gives for some appeals: named ones, and every appeal of the named
    categories. The amount is what the funder granted, in its currency; it is not a donation
    and moves no ledger entry."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"), index=True)
    # The funder's reference or a short title ("Emergency relocation fund 2026").
    title: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    categories: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    funder: Mapped[Funder] = relationship(back_populates="grants")
    appeals: Mapped[list[Appeal]] = relationship(secondary=grant_appeals, order_by=Appeal.id)

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("grant", self.id)


subscription_recipients = Table(
    "report_subscription_recipients",
    Model.metadata,
    Column(
        "subscription_id",
        ForeignKey("report_subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("contact_id", ForeignKey("funder_contacts.id", ondelete="CASCADE"), primary_key=True),
)


class ReportSubscription(Model):
    """A funder's standing order for its portfolio report, monthly or quarterly.

    `next_period_start` is the first day of the oldest period not yet reported: the schedule
    reports every complete period from there (ngo.reports.funders.schedule), so a run missed
    over a due date catches up when the beat runs again."""

    __tablename__ = "report_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(16), default=Frequency.MONTHLY.value)
    # The language of the PDF; each recipient's e-mail is in their own language.
    language: Mapped[str] = mapped_column(String(8), default="en")
    next_period_start: Mapped[date]
    # Paused subscriptions are skipped by the schedule; their periods are not caught up later.
    active: Mapped[bool] = mapped_column(default=True)
    last_period_sent: Mapped[str | None] = mapped_column(String(16))
    last_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    funder: Mapped[Funder] = relationship()
    recipients: Mapped[list[FunderContact]] = relationship(
        secondary=subscription_recipients, order_by=FunderContact.id
    )

    @property
    def audit_object(self) -> tuple[str, int]:
        return ("report_subscription", self.id)


class PortfolioDelivery(Model):
    """One portfolio report of a subscription: the period it covers, the archived report once
    rendered, and when it was mailed. A scheduled period is unique per subscription
    (`scheduled_start`), which is what makes two beat runs over the same due date send one
    report; "send now" deliveries leave it empty and may repeat."""

    __tablename__ = "portfolio_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "scheduled_start"),
        Index("ix_portfolio_deliveries_funder_id_created_at", "funder_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("report_subscriptions.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date]
    period_end: Mapped[date]
    scheduled_start: Mapped[date | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The archived, signed report (ngo.reports.archive), once the worker has made it.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), unique=True)
    rendered_at: Mapped[datetime | None]
    mailed_at: Mapped[datetime | None]

    subscription: Mapped[ReportSubscription] = relationship()
    report: Mapped[Report | None] = relationship()
