"""The public face of appeals: list cards, and one appeal with its budget, updates and
verification badge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ngo.campaigns.models import (
    Appeal,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    Category,
    PublicImage,
)
from ngo.campaigns.presentation import (
    Badge,
    translation_for,
    verification_badge,
)
from ngo.campaigns.visibility import is_listed
from ngo.extensions import db
from ngo.money import Money, percent_of

# Presentation -----------------------------------------------------------------------------


@dataclass
class Card:
    """What a list shows of one appeal."""

    slug: str
    title: str
    summary: str
    display_name: str
    language: str
    languages: list[str]
    status: str
    categories: list[Category]
    country: str | None
    deadline: date | None
    published_at: datetime | None
    last_update_at: datetime | None
    goal: Money
    essential: Money
    raised: Money
    percent: int
    cover_token: str | None = None


def _card(appeal: Appeal, locale: str, cover_token: str | None) -> Card:
    text = translation_for(appeal, locale)
    goal = Money(appeal.goal_minor, appeal.currency)
    raised = Money(appeal.raised_minor, appeal.currency)
    return Card(
        slug=appeal.slug,
        title=text.title if text else "",
        summary=text.summary if text else "",
        display_name=text.display_name if text else "",
        language=text.language if text else appeal.fallback_language,
        languages=sorted(t.language for t in appeal.translations),
        status=appeal.status,
        categories=appeal.category_list,
        country=appeal.country,
        deadline=appeal.deadline,
        published_at=appeal.published_at,
        last_update_at=appeal.last_update_at,
        goal=goal,
        essential=Money(appeal.essential_minor, appeal.currency),
        raised=raised,
        percent=percent_of(raised, goal) if appeal.goal_minor else 0,
        cover_token=cover_token,
    )


def cover_tokens(appeal_ids: list[int]) -> dict[int, str]:
    if not appeal_ids:
        return {}
    rows = db.session.execute(
        select(PublicImage.appeal_id, PublicImage.token)
        .where(
            PublicImage.appeal_id.in_(appeal_ids),
            PublicImage.purpose == "cover",
            PublicImage.approved_at.is_not(None),
        )
        .order_by(PublicImage.id)
    )
    return {appeal_id: token for appeal_id, token in rows}


def cards_for(appeals: list[Appeal] | Any, locale: str) -> list[Card]:
    appeals = list(appeals)
    covers = cover_tokens([a.id for a in appeals])
    return [_card(a, locale, covers.get(a.id)) for a in appeals]


# One appeal -------------------------------------------------------------------------------


class AppealGoneError(Exception):
    """The appeal existed on the public site and is not there any more (HTTP 410)."""


@dataclass
class PublicAppeal:
    appeal: Appeal
    card: Card
    text: AppealTranslation | None
    lines: list[BudgetLine]
    updates: list[AppealUpdate]
    badge: Badge | None
    spent: Money
    funded: Money
    alternates: list[str] = field(default_factory=list)


def find_listed(slug: str) -> Appeal:
    """The listed appeal with this slug. LookupError if no appeal ever had it,
    AppealGoneError if it is not on the public site (any more): neither says why."""
    if not slug or len(slug) > 24 or not slug.isascii():
        raise LookupError(slug)
    appeal = db.session.scalars(
        select(Appeal)
        .where(Appeal.slug == slug)
        .options(
            selectinload(Appeal.translations),
            selectinload(Appeal.budget_lines).selectinload(BudgetLine.labels),
        )
    ).first()
    if appeal is None:
        raise LookupError(slug)
    if not is_listed(appeal):
        raise AppealGoneError(slug)
    return appeal


def public_appeal(slug: str, locale: str) -> PublicAppeal:
    appeal = find_listed(slug)
    updates = list(
        db.session.scalars(
            select(AppealUpdate)
            .where(AppealUpdate.appeal_id == appeal.id, AppealUpdate.shown_publicly())
            .options(selectinload(AppealUpdate.image).defer(PublicImage.content))
            .order_by(AppealUpdate.posted_at.desc(), AppealUpdate.id.desc())
        )
    )
    covers = cover_tokens([appeal.id])
    currency = appeal.currency
    return PublicAppeal(
        appeal=appeal,
        card=_card(appeal, locale, covers.get(appeal.id)),
        text=translation_for(appeal, locale),
        lines=list(appeal.budget_lines),
        updates=updates,
        badge=verification_badge(appeal),
        funded=Money(sum(line.funded_minor for line in appeal.budget_lines), currency),
        spent=Money(sum(line.spent_minor for line in appeal.budget_lines), currency),
        alternates=sorted(t.language for t in appeal.translations),
    )
