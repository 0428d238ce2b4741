"""The public face of appeals: list cards, and one appeal with its budget, updates and
verification badge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from ngo.accounts.models import Organisation
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
    PublicText,
    pick_text,
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

    @property
    def bar_value(self) -> int:
        """What a <progress> bar up to the goal shows: the amount raised, at most the goal."""
        return min(self.raised.amount_minor, self.goal.amount_minor)


# What a card reads of an appeal and of its texts. Lists select these columns as plain rows:
# building twenty ORM objects and their forty translations cost more than the rest of the
# page's queries together.
CARD_COLUMNS = (
    Appeal.id,
    Appeal.slug,
    Appeal.status,
    Appeal.currency,
    Appeal.fallback_language,
    Appeal.country,
    Appeal.categories,
    Appeal.deadline,
    Appeal.published_at,
    Appeal.last_update_at,
    Appeal.goal_minor,
    Appeal.essential_minor,
    Appeal.raised_minor,
)
TEXT_COLUMNS = (
    AppealTranslation.appeal_id,
    AppealTranslation.language,
    AppealTranslation.title,
    AppealTranslation.summary,
    AppealTranslation.display_name,
)


def _card(appeal: Any, texts: Sequence[PublicText], locale: str, cover_token: str | None) -> Card:
    """`appeal` is an Appeal or a row of CARD_COLUMNS; `texts` its translations by language."""
    text = pick_text(texts, locale, appeal.fallback_language)
    goal = Money(appeal.goal_minor, appeal.currency)
    raised = Money(appeal.raised_minor, appeal.currency)
    return Card(
        slug=appeal.slug,
        title=text.title if text else "",
        summary=text.summary if text else "",
        display_name=text.display_name if text else "",
        language=text.language if text else appeal.fallback_language,
        languages=sorted(t.language for t in texts),
        status=appeal.status,
        categories=[Category(c) for c in appeal.categories.split(",") if c],
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


@cache
def _covers_statement() -> Select[int, str]:
    return (
        select(PublicImage.appeal_id, PublicImage.token)
        .where(
            PublicImage.appeal_id.in_(bindparam("ids", expanding=True)),
            PublicImage.purpose == "cover",
            PublicImage.approved_at.is_not(None),
        )
        .order_by(PublicImage.id)
    )


def cover_tokens(appeal_ids: list[int]) -> dict[int, str]:
    """Each appeal's newest approved cover."""
    if not appeal_ids:
        return {}
    rows = db.session.execute(_covers_statement(), {"ids": appeal_ids})
    return {appeal_id: token for appeal_id, token in rows}


@cache
def _texts_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(*TEXT_COLUMNS)
        .where(AppealTranslation.appeal_id.in_(bindparam("ids", expanding=True)))
        .order_by(AppealTranslation.appeal_id, AppealTranslation.language)
    )


def card_texts(appeal_ids: list[int]) -> dict[int, list[Row[*tuple[Any, ...]]]]:
    """The list texts (no stories) of these appeals, each appeal's ordered by language."""
    texts: dict[int, list[Row[*tuple[Any, ...]]]] = {}
    if appeal_ids:
        for row in db.session.execute(_texts_statement(), {"ids": appeal_ids}):
            texts.setdefault(row.appeal_id, []).append(row)
    return texts


def cards_from(
    stmt: Select[*tuple[Any, ...]], locale: str, parameters: dict[str, Any] | None = None
) -> list[Card]:
    """The cards of the appeals `stmt` selects (CARD_COLUMNS of appeals, filtered, ordered
    and limited), in three queries: the appeals' card columns, their texts and their covers."""
    rows = db.session.execute(stmt, parameters or {}).all()
    ids = [row.id for row in rows]
    texts, covers = card_texts(ids), cover_tokens(ids)
    return [_card(row, texts.get(row.id, []), locale, covers.get(row.id)) for row in rows]


def card_of(appeal: Appeal, locale: str, cover_token: str | None) -> Card:
    """The card of a loaded appeal (its translations are read)."""
    return _card(appeal, appeal.translations, locale, cover_token)


@dataclass
class Listing:
    """What the API's list shows of an appeal: its card, and the sums of its budget lines'
    counters."""

    id: int
    card: Card
    funded_minor: int
    spent_minor: int


@cache
def _budget_sums_statement() -> Select[int, int, int]:
    return (
        select(
            BudgetLine.appeal_id,
            func.coalesce(func.sum(BudgetLine.funded_minor), 0),
            func.coalesce(func.sum(BudgetLine.spent_minor), 0),
        )
        .where(BudgetLine.appeal_id.in_(bindparam("ids", expanding=True)))
        .group_by(BudgetLine.appeal_id)
    )


def listings_for(rows: Sequence[Row[*tuple[Any, ...]]], locale: str) -> list[Listing]:
    """Listings of rows of CARD_COLUMNS, in three queries: texts, covers, budget sums."""
    ids = [row.id for row in rows]
    texts, covers = card_texts(ids), cover_tokens(ids)
    sums: dict[int, tuple[int, int]] = {}
    if ids:
        totals = db.session.execute(_budget_sums_statement(), {"ids": ids})
        sums = {appeal_id: (int(funded), int(spent)) for appeal_id, funded, spent in totals}
    return [
        Listing(
            row.id,
            _card(row, texts.get(row.id, []), locale, covers.get(row.id)),
            *sums.get(row.id, (0, 0)),
        )
        for row in rows
    ]


def cards_for(appeals: list[Appeal] | Any, locale: str) -> list[Card]:
    """Cards of loaded appeals (their translations are read)."""
    appeals = list(appeals)
    covers = cover_tokens([a.id for a in appeals])
    return [_card(a, a.translations, locale, covers.get(a.id)) for a in appeals]


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


def _cover_token() -> ScalarSelect[str]:
    """The appeal's cover: its newest approved cover image, as `cover_tokens` picks it."""
    return (
        select(PublicImage.token)
        .where(
            PublicImage.appeal_id == Appeal.id,
            PublicImage.purpose == "cover",
            PublicImage.approved_at.is_not(None),
        )
        .order_by(PublicImage.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _organisation_name() -> ScalarSelect[str]:
    return (
        select(Organisation.name).where(Organisation.id == Appeal.organisation_id).scalar_subquery()
    )


# The appeal page's statements are built once and run with the slug or id: building them and
# their cache keys cost more than SQLite took to answer them.


@cache
def _by_slug(with_page_columns: bool) -> Select[*tuple[Any, ...]]:
    """The appeal with a slug, its texts joined, its budget lines and their labels read
    together (two queries); for the page also its cover token and organisation's name."""
    columns = (_cover_token(), _organisation_name()) if with_page_columns else ()
    return (
        select(Appeal, *columns)
        .where(Appeal.slug == bindparam("slug"))
        .options(
            joinedload(Appeal.translations),
            selectinload(Appeal.budget_lines).joinedload(BudgetLine.labels),
        )
    )


@cache
def _shown_updates() -> Select[AppealUpdate]:
    return (
        select(AppealUpdate)
        .where(AppealUpdate.appeal_id == bindparam("appeal_id"), AppealUpdate.shown_publicly())
        .options(joinedload(AppealUpdate.image).defer(PublicImage.content))
        .order_by(AppealUpdate.posted_at.desc(), AppealUpdate.id.desc())
    )


def _listed(slug: str, with_page_columns: bool = False) -> Row[*tuple[Any, ...]]:
    if not slug or len(slug) > 24 or not slug.isascii():
        raise LookupError(slug)
    row = db.session.execute(_by_slug(with_page_columns), {"slug": slug}).unique().first()
    if row is None:
        raise LookupError(slug)
    if not is_listed(row[0]):
        raise AppealGoneError(slug)
    return row


def find_listed(slug: str) -> Appeal:
    """The listed appeal with this slug. LookupError if no appeal ever had it,
    AppealGoneError if it is not on the public site (any more): neither says why."""
    appeal: Appeal = _listed(slug)[0]
    return appeal


def public_appeal(slug: str, locale: str) -> PublicAppeal:
    """Everything the appeal page and the API's detail show, in four queries."""
    appeal, cover_token, organisation = _listed(slug, with_page_columns=True)
    updates = list(db.session.scalars(_shown_updates(), {"appeal_id": appeal.id}))
    currency = appeal.currency
    return PublicAppeal(
        appeal=appeal,
        card=_card(appeal, appeal.translations, locale, cover_token),
        text=translation_for(appeal, locale),
        lines=list(appeal.budget_lines),
        updates=updates,
        badge=verification_badge(appeal, organisation),
        funded=Money(sum(line.funded_minor for line in appeal.budget_lines), currency),
        spent=Money(sum(line.spent_minor for line in appeal.budget_lines), currency),
        alternates=sorted(t.language for t in appeal.translations),
    )
