"""The public face of appeals: list cards, and one appeal with its budget, updates and
verification badge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, select

from ngo.accounts.models import Organisation
from ngo.campaigns.giving import LineState, lines_of, open_for_gifts
from ngo.campaigns.models import (
    Appeal,
    AppealTranslation,
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
    donations: int
    cover_token: str | None
    # Who runs the appeal: the organisation's public name and the slug of its public page.
    organisation_name: str
    organisation_slug: str
    # Whether the donate form would take a gift now (`campaigns.giving.open_for_gifts`): the
    # card and the page show their call to give by it.
    open_for_gifts: bool

    @property
    def bar_value(self) -> int:
        """What a <progress> bar up to the goal shows: the amount raised, at most the goal."""
        return min(self.raised.amount_minor, self.goal.amount_minor)


def _organisation_column(column: Any, name: str) -> Any:
    """A column of the organisation running the appeal, as a correlated scalar subquery: a
    list's statements stay selects of appeals (their counts, filters and sorting unchanged),
    and each row looks its organisation up by primary key."""
    return (
        select(column)
        .where(Organisation.id == Appeal.organisation_id)
        .correlate(Appeal)
        .scalar_subquery()
        .label(name)
    )


def newest_cover(column: Any) -> Any:
    """A column of the appeal's cover, its newest approved cover image, as a correlated
    scalar subquery (by the index on the images' appeal)."""
    return (
        select(column)
        .where(
            PublicImage.appeal_id == Appeal.id,
            PublicImage.purpose == "cover",
            PublicImage.approved_at.is_not(None),
        )
        .order_by(PublicImage.id.desc())
        .limit(1)
        .correlate(Appeal)
        .scalar_subquery()
    )


# What a card reads of an appeal and of its texts. Lists select these columns as plain rows:
# building twenty ORM objects and their forty translations cost more than the rest of the
# page's queries together.
# The appeal's own columns of a card (the appeal page reads them too, with a few more).
CARD_APPEAL_COLUMNS = (
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
    Appeal.listed,
    Appeal.listed_until,
    Appeal.overfunding_policy,
)
CARD_COLUMNS = (
    *CARD_APPEAL_COLUMNS,
    _organisation_column(Organisation.name, "organisation_name"),
    _organisation_column(Organisation.slug, "organisation_slug"),
    # In a query of its own, the covers cost a statement per list.
    newest_cover(PublicImage.token).label("cover_token"),
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
    listed: bool
    listed_until: datetime | None
    overfunding_policy: str
    organisation_name: str
    organisation_slug: str
    cover_token: str | None


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


def card_for(
    appeal: Any,
    texts: Sequence[PublicText],
    locale: str,
    cover_token: str | None,
    *,
    organisation: tuple[str, str],
    lines: Sequence[LineState],
) -> Card:
    """`appeal` is an Appeal or a row of CARD_COLUMNS; `texts` its translations by language,
    `organisation` the (name, slug) of the organisation running it, `lines` the states of
    its budget lines."""
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
        organisation_name=organisation[0],
        organisation_slug=organisation[1],
        open_for_gifts=open_for_gifts(appeal, lines),
    )


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
    and limited), in three queries: the appeals' card columns (with their covers), their texts and
    their budget lines (whether each takes gifts)."""
    found = [CardRow._make(row) for row in read_rows(stmt, parameters)]
    return [listing.card for listing in listings_for(found, locale)]


@dataclass
class Listing:
    """What the API's list shows of an appeal: its card, and the sums of its budget lines'
    counters."""

    id: int
    card: Card
    funded_minor: int
    spent_minor: int


def listings_for(rows: Sequence[CardRow], locale: str) -> list[Listing]:
    """Listings of rows of CARD_COLUMNS, in two queries: texts, budget lines."""
    ids = [row.id for row in rows]
    texts, lines = card_texts(ids), lines_of(ids)
    listings = []
    for row in rows:
        own = lines.get(row.id, [])
        card = card_for(
            row,
            texts.get(row.id, []),
            locale,
            row.cover_token,
            organisation=(row.organisation_name, row.organisation_slug),
            lines=[line.state for line in own],
        )
        funded = sum(line.state.funded_minor for line in own)
        listings.append(Listing(row.id, card, funded, sum(line.spent_minor for line in own)))
    return listings


# One appeal -------------------------------------------------------------------------------
