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


# The language most readers of another language can follow: a Polish reader of an appeal
# written in Belarusian and English gets the English text rather than the Belarusian.
SHARED_LANGUAGE = "en"


def reading_order(locale: str, fallback: str) -> tuple[str, ...]:
    """The one rule every reader's text follows: the reader's language, else English, else
    the language the appeal was written in (its fallback language). An empty `locale` (an
    API client that asked for no language) starts at English."""
    return tuple(dict.fromkeys(code for code in (locale, SHARED_LANGUAGE, fallback) if code))


def pick_text(texts: Sequence[T], locale: str, fallback: str) -> T | None:
    """Of an appeal's translations (or rows holding the same columns, ordered by language),
    the one `reading_order` picks, else the first."""
    by_language = {t.language: t for t in texts}
    for language in reading_order(locale, fallback):
        if language in by_language:
            return by_language[language]
    return texts[0] if texts else None


def translation_for(appeal: Appeal, locale: str) -> AppealTranslation | None:
    """The appeal's text for a reader of `locale`, by `reading_order`."""
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
    """A budget line's label and description in the language `reading_order` picks (pages
    pass the language of the appeal's text shown, so that the budget reads the same)."""
    by_language = {label.language: label for label in line.labels}
    for language in reading_order(locale, fallback):
        if language in by_language:
            return by_language[language].label, by_language[language].description
    return (line.labels[0].label, line.labels[0].description) if line.labels else ("", "")


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


class VerifiedAppeal(Protocol):
    """What the badge reads of an appeal: an Appeal, or the appeal page's row of it."""

    @property
    def story_version_id(self) -> int | None: ...
    @property
    def organisation_id(self) -> int: ...


def verification_badge(appeal: VerifiedAppeal, organisation: str | None = None) -> Badge | None:
    """The approval of the appeal's story version decided last, with its passed checks, in
    one query (two when the organisation's name is not given). Only dates and check names
    are read: the verifier's comments stay encrypted in the database."""
    # On the connection: the ORM's handling of a plain column query cost more than the query.
    rows = (
        db.session.connection()
        .execute(_badge_statement(), {"story_version_id": appeal.story_version_id})
        .all()
    )
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
