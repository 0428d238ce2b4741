"""What happens after publication: updates, the people who follow them, and public images."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ngo.campaigns.models.appeal import Appeal, new_public_slug
from ngo.crypto import EncryptedBytes, EncryptedText
from ngo.extensions import Model
from ngo.timeutil import utcnow


class PublicImage(Model):
    """A photo meant for the public site (an appeal's cover or an update's picture), kept only
    after re-encoding without metadata and a safety check. Served under a random token, and
    only while its appeal is on the public site.

    Until a second person approves it (with its appeal or its update), the photo is a draft
    like the case's documents: its bytes are kept encrypted in `sealed_content` and
    `content` is empty. Approval moves the bytes into `content`, in clear, for the public site
    to serve (campaigns.images)."""

    __tablename__ = "public_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_slug)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "cover" or "update"
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_content: Mapped[bytes | None] = mapped_column(EncryptedBytes, deferred=True)
    # SHA-256 of the stored (re-encoded) bytes: what an approval's digest names.
    sha256: Mapped[str] = mapped_column(String(64), default="")
    approved_at: Mapped[datetime | None]
    content_type: Mapped[str] = mapped_column(String(32), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UpdateState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


class AppealUpdate(Model):
    """News on a published appeal; public text, checked like the appeal's own, and public only
    once a second person approved it (campaigns.updates)."""

    __tablename__ = "appeal_updates"
    # The review queue: updates awaiting a second person, urgent ones first.
    __table_args__ = (Index("ix_appeal_updates_state_urgent", "state", "urgent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_slug)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=UpdateState.DRAFT.value)
    # Marked by an organisation admin: first in the review queue, never past it.
    urgent: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("public_images.id", ondelete="SET NULL")
    )
    # The author, who drafted it.
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Everyone who changed the text or photo since it was last approved (the four-eyes rule).
    editor_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    # Why the last reviewer sent it back; it may quote what had to go, so it is encrypted.
    return_reason: Mapped[str | None] = mapped_column(EncryptedText)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The digest of the content the approver saw (campaigns.review).
    approved_digest: Mapped[str | None] = mapped_column(String(64))
    # When it went public (its approval); empty before.
    posted_at: Mapped[datetime | None] = mapped_column(index=True)
    # A withdrawn update leaves the public site and the feed; it stays for staff.
    withdrawn_at: Mapped[datetime | None]

    appeal: Mapped[Appeal] = relationship()
    image: Mapped[PublicImage | None] = relationship()

    @staticmethod
    def shown_publicly() -> ColumnElement[bool]:
        """The WHERE clause of every public read of updates: approved and not withdrawn."""
        return (AppealUpdate.state == UpdateState.PUBLISHED.value) & (
            AppealUpdate.withdrawn_at.is_(None)
        )


class ReviewSnapshot(Model):
    """What a reviewer was shown of an appeal or an update, keyed by its digest: written when it
    is sent for review, so that an approval naming an older digest can show what changed.
    Only public text, but unapproved: kept encrypted like drafts."""

    __tablename__ = "review_snapshots"
    __table_args__ = (Index("ix_review_snapshots_appeal_id_digest", "appeal_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("appeal_updates.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UpdateSubscription(Model):
    """Someone who asked to be e-mailed when an appeal has news. The address is a donor's
    personal data: encrypted, with a keyed blind index to find duplicates; confirmed by a
    link first (double opt-in), and every e-mail carries the unsubscribe link."""

    __tablename__ = "update_subscriptions"
    __table_args__ = (UniqueConstraint("appeal_id", "email_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(EncryptedText)
    email_index: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    token: Mapped[str] = mapped_column(String(48), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    # When the last confirmation link went out: a repeat request within a day sends none, so
    # the form cannot be used to flood someone's mailbox from many addresses.
    confirmation_sent_at: Mapped[datetime | None]
    # The follower's mail server refused our mail for good (5xx): no more is sent to the
    # address until it is confirmed again. The code only, never the server's text.
    mail_failed_at: Mapped[datetime | None]
    mail_failure: Mapped[str | None] = mapped_column(String(200))


class UpdateDelivery(Model):
    """One e-mail of one update to one subscriber: the unique pair makes sending idempotent
    when the worker runs a task twice."""

    __tablename__ = "update_deliveries"
    __table_args__ = (UniqueConstraint("update_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("appeal_updates.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("update_subscriptions.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConcernStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ConcernReport(Model):
    """A reader's report about an appeal (suspected fraud, or personal data that should not be
    public), queued for the organisation's staff. The text may itself repeat private data, so
    it is encrypted; nothing identifies the reporter unless they leave an address."""

    __tablename__ = "concern_reports"
    # The staff queue names a report by its reference (accounts.access.load_in_organisation).
    lookup_key = "reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_slug)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(EncryptedText)
    contact_email: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=ConcernStatus.OPEN.value, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]

    appeal: Mapped[Appeal] = relationship()

    @property
    def audit_object(self) -> tuple[str, int]:
        """Events about a report are the appeal's (ngo.audit.record_change)."""
        return ("appeal", self.appeal_id)


class AppealSearchDocument(Model):
    """The folded words of a listed appeal's public text in every language, for full-text
    search: an FTS5 index over it on SQLite, a GIN index over its tsvector on PostgreSQL
    (both made by campaigns.search, outside the ORM's metadata comparison)."""

    __tablename__ = "appeal_search_documents"

    appeal_id: Mapped[int] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text, default="")
    # SHA-256 of what `document` was folded from: the texts and the folding's version
    # (campaigns.search.source_digest). `flask reconcile-listings` folds again only the
    # documents whose digest differs from the current one; NULL for documents of before it.
    source_digest: Mapped[str | None] = mapped_column(String(64))
