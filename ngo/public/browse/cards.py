"""The public face of appeals: list cards, and one appeal with its budget, updates and
verification badge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, select

from ngo.campaigns.models import (
    Appeal,
    AppealTranslation,
    BudgetLine,
    Category,
    PublicImage,
)
from ngo.campaigns.presentation import (
    PublicText,
    pick_text,
)
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
    # Confirmed gifts (the appeal's counter, moved with `raised`).
    donations: int = 0
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
    Appeal.donations_count,
)
TEXT_COLUMNS = (
    AppealTranslation.appeal_id,
    AppealTranslation.language,
    AppealTranslation.title,
    AppealTranslation.summary,
    AppealTranslation.display_name,
)


class CardRow(NamedTuple):
    """A row of CARD_COLUMNS as a named tuple: a card reads a dozen of its fields, and a
    SQLAlchemy Row's attributes cost ten times a tuple's."""

    id: int
    slug: str
    status: str
    currency: str
    fallback_language: str
    country: str | None
    categories: str
    deadline: date | None
    published_at: datetime | None
    last_update_at: datetime | None
    goal_minor: int
    essential_minor: int
    raised_minor: int
    donations_count: int


class TextRow(NamedTuple):
    """A row of TEXT_COLUMNS."""

    appeal_id: int
    language: str
    title: str
    summary: str
    display_name: str


for _row, _columns in ((CardRow, CARD_COLUMNS), (TextRow, TEXT_COLUMNS)):
    if _row._fields != tuple(column.key for column in _columns):
        raise RuntimeError(f"{_row.__name__} does not name its columns in their order")


def read_rows(stmt: Select[*tuple[Any, ...]], parameters: dict[str, Any] | None = None) -> Any:
    """Run a statement of plain columns on the session's connection: the ORM's handling of a
    statement (compile state, loading) is a tenth of a millisecond each that plain columns
    do not need. Same transaction as the session; only for reading columns."""
    return db.session.connection().execute(stmt, parameters or {})


_CATEGORIES = {category.value: category for category in Category}


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
        categories=[_CATEGORIES.get(c) or Category(c) for c in appeal.categories.split(",") if c],
        country=appeal.country,
        deadline=appeal.deadline,
        published_at=appeal.published_at,
        last_update_at=appeal.last_update_at,
        goal=goal,
        essential=Money(appeal.essential_minor, appeal.currency),
        raised=raised,
        percent=percent_of(raised, goal) if appeal.goal_minor else 0,
        donations=appeal.donations_count,
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
    return {
        appeal_id: token for appeal_id, token in read_rows(_covers_statement(), {"ids": appeal_ids})
    }


@cache
def _texts_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(*TEXT_COLUMNS)
        .where(AppealTranslation.appeal_id.in_(bindparam("ids", expanding=True)))
        .order_by(AppealTranslation.appeal_id, AppealTranslation.language)
    )


def card_texts(appeal_ids: list[int]) -> dict[int, list[TextRow]]:
    """The list texts (no stories) of these appeals, each appeal's ordered by language."""
    texts: dict[int, list[TextRow]] = {}
    if appeal_ids:
        for row in read_rows(_texts_statement(), {"ids": appeal_ids}):
            text = TextRow._make(row)
            texts.setdefault(text.appeal_id, []).append(text)
    return texts


def cards_from(
    stmt: Select[*tuple[Any, ...]], locale: str, parameters: dict[str, Any] | None = None
) -> list[Card]:
    """The cards of the appeals `stmt` selects (CARD_COLUMNS of appeals, filtered, ordered
    and limited), in three queries: the appeals' card columns, their texts and their covers."""
    found = [CardRow._make(row) for row in read_rows(stmt, parameters)]
    ids = [row.id for row in found]
    texts, covers = card_texts(ids), cover_tokens(ids)
    return [_card(row, texts.get(row.id, []), locale, covers.get(row.id)) for row in found]


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


def listings_for(rows: Sequence[CardRow], locale: str) -> list[Listing]:
    """Listings of rows of CARD_COLUMNS, in three queries: texts, covers, budget sums."""
    ids = [row.id for row in rows]
    texts, covers = card_texts(ids), cover_tokens(ids)
    sums: dict[int, tuple[int, int]] = {}
    if ids:
        totals = read_rows(_budget_sums_statement(), {"ids": ids})
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
