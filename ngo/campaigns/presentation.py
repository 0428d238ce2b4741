"""What an appeal says in public, read the same way by the public pages, the API, campaigns'
mails to followers and its staff pages: its text in a reader's language, its budget lines'
labels, and its verification badge (when, which checks, by which organisation; never by whom).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, bindparam, select

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal, AppealTranslation
from ngo.cases.models import Verification, VerificationCheck
from ngo.extensions import db


class PublicText(Protocol):
    """What a list reads of a text: an AppealTranslation, or a row of the same columns."""

    @property
    def language(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def display_name(self) -> str: ...


T = TypeVar("T", bound=PublicText)


def pick_text(texts: Sequence[T], locale: str, fallback: str) -> T | None:
    """The text in the reader's language, else in the fallback language, else the first
    (texts ordered by language): of an appeal's translations, or of rows holding the same
    columns."""
    by_language = {t.language: t for t in texts}
    return by_language.get(locale) or by_language.get(fallback) or (texts[0] if texts else None)


def translation_for(appeal: Appeal, locale: str) -> AppealTranslation | None:
    """The text in the reader's language, else in the appeal's fallback language."""
    return pick_text(appeal.translations, locale, appeal.fallback_language)


class LineLabel(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def description(self) -> str: ...


class LabelledLine(Protocol):
    """A BudgetLine, or what the public pages read of one (`public.browse.PublicLine`)."""

    @property
    def labels(self) -> Sequence[LineLabel]: ...


def line_text(line: LabelledLine, locale: str, fallback: str) -> tuple[str, str]:
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


@cache
def _badge_statement() -> Select[*tuple[Any, ...]]:
    """Built once, run with the story version: the approval decided last and its checks."""
    latest = (
        select(Verification.id)
        .where(
            Verification.story_version_id == bindparam("story_version_id"),
            Verification.approved.is_(True),
        )
        .order_by(Verification.decided_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Verification.decided_at,
            Verification.expires_at,
            VerificationCheck.check,
            VerificationCheck.passed,
        )
        .outerjoin(VerificationCheck, VerificationCheck.verification_id == Verification.id)
        .where(Verification.id == latest)
        .order_by(VerificationCheck.id)
    )


def verification_badge(appeal: Appeal, organisation: str | None = None) -> Badge | None:
    """The approval of the appeal's story version decided last, with its passed checks, in
    one query (two when the organisation's name is not given). Only dates and check names
    are read: the verifier's comments stay encrypted in the database."""
    rows = db.session.execute(
        _badge_statement(), {"story_version_id": appeal.story_version_id}
    ).all()
    if not rows:
        return None
    if organisation is None:
        organisation = db.session.scalar(
            select(Organisation.name).where(Organisation.id == appeal.organisation_id)
        )
    return Badge(
        organisation=organisation or "",
        verified_on=rows[0].decided_at,
        checks=[row.check for row in rows if row.passed],
        valid_until=rows[0].expires_at,
    )
