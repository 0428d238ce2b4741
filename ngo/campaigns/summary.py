"""What the staff dashboard shows of appeals, as plain data (the dashboard composes the
domains' summaries and imports no model)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ngo.accounts.models import User
from ngo.campaigns import publication, updates
from ngo.campaigns.concerns import open_concern_count
from ngo.campaigns.models import Appeal, AppealStatus, AppealTranslation
from ngo.campaigns.overdue import overdue_appeals
from ngo.cases.worklist import LIST_LIMIT, evidence_counts
from ngo.extensions import db

__all__ = [
    "AppealAwaiting",
    "ApprovalWork",
    "OverdueNews",
    "UpdateAwaiting",
    "approval_work",
    "open_concern_count",
    "overdue_news",
]


@dataclass(frozen=True)
class OverdueNews:
    slug: str
    title: str
    days_overdue: int


def _title(appeal: Appeal) -> AppealTranslation | None:
    return next(
        (t for t in appeal.translations if t.language == appeal.fallback_language),
        appeal.translations[0] if appeal.translations else None,
    )


def overdue_news(organisation_id: int) -> list[OverdueNews]:
    """Listed appeals that owe their donors news, the longest silent first, each with its
    title in the appeal's own language."""
    summaries = []
    for item in overdue_appeals(organisation_id):
        appeal = item.appeal
        text = next(
            (t for t in appeal.translations if t.language == appeal.fallback_language), None
        )
        summaries.append(
            OverdueNews(appeal.slug, text.title if text else appeal.slug, item.days_overdue)
        )
    return summaries


@dataclass(frozen=True)
class AppealAwaiting:
    slug: str
    title: str
    language: str | None
    evidence_count: int


@dataclass(frozen=True)
class UpdateAwaiting:
    slug: str
    public_id: str
    title: str
    language: str
    urgent: bool


@dataclass(frozen=True)
class ApprovalWork:
    """Appeals and updates waiting for a second person that this user may approve, the first
    LIST_LIMIT of each, and how many there are; `written_by_you` counts those they may not
    approve (four eyes: they wrote, sent or changed them)."""

    appeals: list[AppealAwaiting]
    appeals_total: int
    updates: list[UpdateAwaiting]
    updates_total: int
    written_by_you: int


def approval_work(user: User, organisation_id: int) -> ApprovalWork:
    """What a verifier or admin may approve, decided by the same four-eyes refusal the
    approval itself asks (`publication.approval_refusal`, `updates.approval_refusal`); each
    appeal with the evidence count of its case. At most six queries, whatever the numbers."""
    in_review = db.session.scalars(
        select(Appeal)
        .where(
            Appeal.organisation_id == organisation_id,
            Appeal.status == AppealStatus.IN_REVIEW.value,
        )
        .options(selectinload(Appeal.translations))
        .order_by(Appeal.id)
    ).all()
    appeals = [a for a in in_review if publication.approval_refusal(a, user) is None]
    waiting_updates = updates.awaiting_review(organisation_id)
    allowed_updates = [u for u in waiting_updates if updates.approval_refusal(u, user) is None]
    shown = appeals[:LIST_LIMIT]
    counts = evidence_counts([a.beneficiary_id for a in shown])
    appeal_items = []
    for appeal in shown:
        text = _title(appeal)
        appeal_items.append(
            AppealAwaiting(
                appeal.slug,
                text.title if text else appeal.slug,
                text.language if text else None,
                counts.get(appeal.beneficiary_id, 0),
            )
        )
    return ApprovalWork(
        appeals=appeal_items,
        appeals_total=len(appeals),
        updates=[
            UpdateAwaiting(u.appeal.slug, u.public_id, u.title, u.language, u.urgent)
            for u in allowed_updates[:LIST_LIMIT]
        ],
        updates_total=len(allowed_updates),
        written_by_you=len(in_review) - len(appeals) + len(waiting_updates) - len(allowed_updates),
    )
