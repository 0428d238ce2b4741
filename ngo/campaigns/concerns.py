"""Readers' reports about an appeal: suspected fraud, or personal data that should not be public.

Anyone may report, without an account; the report goes to the staff of the appeal's
organisation. Its text is encrypted (a reader may repeat the very details they report) and
kept out of the audit log; a reader is identified only by the address they choose to leave.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns.models import Appeal, ConcernReport, ConcernStatus
from ngo.campaigns.subscriptions import FollowError, checked_email
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow

KINDS = ("fraud", "personal_data", "other")
MESSAGE_MIN = 10
MESSAGE_MAX = 5000


class ConcernError(RuleError):
    """A rule of concern reports was broken."""


def report_concern(
    appeal: Appeal, *, kind: str, message: str, contact_email: str | None = None
) -> ConcernReport:
    """Queue a reader's report for the organisation's staff; the caller commits."""
    if kind not in KINDS:
        raise ConcernError(_l("Choose what the concern is about."), field="kind")
    text = (message or "").strip()
    if not text:
        raise ConcernError(_l("Describe your concern."), field="message")
    if len(text) < MESSAGE_MIN or len(text) > MESSAGE_MAX:
        raise ConcernError(
            _l(
                "Use between %(min)d and %(max)d characters to describe your concern.",
                min=MESSAGE_MIN,
                max=MESSAGE_MAX,
            ),
            field="message",
        )
    contact: str | None = None
    if contact_email and contact_email.strip():
        try:
            contact = checked_email(contact_email, field="contact_email")
        except FollowError as exc:
            raise ConcernError(exc.message, field=exc.field) from None
    report = ConcernReport(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        kind=kind,
        message=text,
        contact_email=contact,
    )
    db.session.add(report)
    db.session.flush()
    audit.record_change(
        appeal,
        None,
        "appeal.concern_reported",
        concern=report.reference,
        kind=kind,
        contact_left=contact is not None,
    )
    return report


def resolve_concern(report: ConcernReport, *, actor: User, dismissed: bool) -> None:
    """Close a report: resolved (something was done) or dismissed (nothing to do)."""
    if report.status != ConcernStatus.OPEN.value:
        raise ConcernError(_l("This concern was already handled."))
    status = ConcernStatus.DISMISSED if dismissed else ConcernStatus.RESOLVED
    report.status = status.value
    report.handled_by_id = actor.id
    report.handled_at = utcnow()
    audit.record_change(report, actor, f"appeal.concern_{status.value}", concern=report.reference)


def open_concerns(organisation_id: int) -> list[ConcernReport]:
    """The organisation's open reports, oldest first, with their appeals' titles loaded."""
    return list(
        db.session.scalars(
            select(ConcernReport)
            .where(
                ConcernReport.organisation_id == organisation_id,
                ConcernReport.status == ConcernStatus.OPEN.value,
            )
            .options(selectinload(ConcernReport.appeal).selectinload(Appeal.translations))
            .order_by(ConcernReport.created_at, ConcernReport.id)
        )
    )


def open_concern_count(organisation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(ConcernReport.id)).where(
                ConcernReport.organisation_id == organisation_id,
                ConcernReport.status == ConcernStatus.OPEN.value,
            )
        )
        or 0
    )
