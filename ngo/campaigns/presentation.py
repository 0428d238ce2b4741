"""What an appeal says in public, read the same way by the public pages, the API, campaigns'
mails to followers and its staff pages: its text in a reader's language, its budget lines'
labels, and its verification badge (when, which checks, by which organisation; never by whom).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal, AppealTranslation, BudgetLine
from ngo.cases.models import Verification
from ngo.extensions import db


def translation_for(appeal: Appeal, locale: str) -> AppealTranslation | None:
    """The text in the reader's language, else in the appeal's fallback language."""
    by_language = {t.language: t for t in appeal.translations}
    return (
        by_language.get(locale)
        or by_language.get(appeal.fallback_language)
        or (appeal.translations[0] if appeal.translations else None)
    )


def line_text(line: BudgetLine, locale: str, fallback: str) -> tuple[str, str]:
    """A budget line's label and description in the reader's language if written."""
    by_language = {label.language: label for label in line.labels}
    label = by_language.get(locale) or by_language.get(fallback)
    if label is None and line.labels:
        label = line.labels[0]
    return (label.label, label.description) if label else ("", "")


@dataclass
class Badge:
    """What was verified, when, and by which organisation; never by whom."""

    organisation: str
    verified_on: datetime
    checks: list[str]
    valid_until: datetime | None


def verification_badge(appeal: Appeal) -> Badge | None:
    row = db.session.scalars(
        select(Verification)
        .where(
            Verification.story_version_id == appeal.story_version_id,
            Verification.approved.is_(True),
        )
        .options(selectinload(Verification.checks))
        .order_by(Verification.decided_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    organisation = db.session.get(Organisation, appeal.organisation_id)
    return Badge(
        organisation=organisation.name if organisation else "",
        verified_on=row.decided_at,
        checks=[c.check for c in row.checks if c.passed],
        valid_until=row.expires_at,
    )
