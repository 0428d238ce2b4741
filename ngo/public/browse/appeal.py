"""The public face of one appeal: its card, text, budget, updates and verification badge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ScalarSelect, Select, bindparam, select
from sqlalchemy.orm import aliased, joinedload

from ngo.accounts.models import Organisation
from ngo.campaigns.giving import LineState
from ngo.campaigns.models import (
    Appeal,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    PublicImage,
)
from ngo.campaigns.presentation import Badge, pick_text, verification_badge
from ngo.campaigns.visibility import is_listed
from ngo.extensions import db
from ngo.money import Money
from ngo.public.browse.cards import CARD_APPEAL_COLUMNS, Card, card_for, newest_cover


class AppealGoneError(Exception):
    """The appeal existed on the public site and is not there any more (HTTP 410)."""


@dataclass(frozen=True, slots=True)
class PublicLineLabel:
    language: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class PublicLine:
    """What the public sees of a budget line: its amounts and its labels in the languages
    they are written in (in the order written). Read as rows: loading budget lines and their
    labels as ORM objects took 40 % of the appeal's queries."""

    id: int
    amount_minor: int
    funded_minor: int
    spent_minor: int
    essential: bool
    priority: int
    labels: tuple[PublicLineLabel, ...]


@dataclass(frozen=True, slots=True)
class Organiser:
    """Who runs the appeal, as its page names them: read with the appeal, in the same row."""

    name: str
    slug: str
    contact_email: str | None
    legal_name: str | None = None
    registration_number: str | None = None


@dataclass(frozen=True, slots=True)
class PublicCover:
    """The appeal's cover as its page shows it (the picture, its text and size)."""

    token: str
    alt_text: str
    width: int
    height: int
    content_type: str


@dataclass(frozen=True, slots=True)
class PublicUpdateImage:
    token: str
    alt_text: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PublicUpdate:
    """A published update as the page and the API show it. Read as rows with its picture:
    loading updates and their images as ORM objects cost a tenth of a fresh appeal page."""

    public_id: str
    title: str
    body_markdown: str
    posted_at: datetime
    language: str
    image: PublicUpdateImage | None


class PageText(NamedTuple):
    """An appeal's text in one language, as its page and the API's detail show it."""

    language: str
    title: str
    summary: str
    display_name: str
    story_markdown: str


class PageAppeal(NamedTuple):
    """What the appeal page and the API's detail read of an appeal (a card's columns and the
    few the page adds), with its texts ordered by language as `Appeal.translations` is. Read
    as one row per text: the appeal and its texts as ORM objects were a fifth of the page."""

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
    allocation_rule: str
    story_version_id: int | None
    organisation_id: int
    update_interval_days: int
    translations: tuple[PageText, ...]


@dataclass
class PublicAppeal:
    appeal: PageAppeal
    card: Card
    text: PageText | None
    lines: list[PublicLine]
    updates: list[PublicUpdate]
    badge: Badge | None
    organiser: Organiser
    spent: Money
    funded: Money
    alternates: list[str] = field(default_factory=list)
    cover: PublicCover | None = None


def _cover_id() -> ScalarSelect[int]:
    """The appeal's cover: its newest approved cover image, as the cards pick it."""
    cover_id: ScalarSelect[int] = newest_cover(PublicImage.id)
    return cover_id


# The appeal page's statements are built once and run with the slug or id: building them and
# their cache keys cost more than SQLite took to answer them.


@cache
def _by_slug() -> Select[Appeal]:
    """The appeal with a slug, as an ORM object with its texts (for the pages that change
    or read more of it than the appeal page: the donate form, the public ledger)."""
    return (
        select(Appeal)
        .where(Appeal.slug == bindparam("slug"))
        .options(joinedload(Appeal.translations))
    )


_PAGE_APPEAL_COLUMNS = (
    *CARD_APPEAL_COLUMNS,
    Appeal.allocation_rule,
    Appeal.story_version_id,
    Appeal.organisation_id,
    Appeal.update_interval_days,
)
_PAGE_TEXT_COLUMNS = (
    AppealTranslation.language,
    AppealTranslation.title,
    AppealTranslation.summary,
    AppealTranslation.display_name,
    AppealTranslation.story_markdown,
)
if PageAppeal._fields[:-1] != tuple(
    c.key for c in _PAGE_APPEAL_COLUMNS
) or PageText._fields != tuple(c.key for c in _PAGE_TEXT_COLUMNS):
    raise RuntimeError("PageAppeal and PageText do not name their columns in their order")
_APPEAL_END = len(_PAGE_APPEAL_COLUMNS)
_COVER_END = _APPEAL_END + 5
_ORGANISATION_END = _COVER_END + 5


@cache
def _page_by_slug() -> Select[*tuple[Any, ...]]:
    """The appeal with a slug, one row per text (ordered by language), each with the cover
    and the public name, page and contact of the organisation running it. The cover is
    joined in by its id: reading its token here and its picture's details in a query of
    their own cost a statement per page."""
    cover = aliased(PublicImage)
    return (
        select(
            *_PAGE_APPEAL_COLUMNS,
            cover.token,
            cover.alt_text,
            cover.width,
            cover.height,
            cover.content_type,
            Organisation.name,
            Organisation.slug,
            Organisation.contact_email,
            Organisation.legal_name,
            Organisation.registration_number,
            *_PAGE_TEXT_COLUMNS,
        )
        .join(Organisation, Organisation.id == Appeal.organisation_id)
        .outerjoin(cover, cover.id == _cover_id())
        .outerjoin(AppealTranslation, AppealTranslation.appeal_id == Appeal.id)
        .where(Appeal.slug == bindparam("slug"))
        .order_by(AppealTranslation.language)
    )


@cache
def _lines_statement() -> Select[*tuple[Any, ...]]:
    """An appeal's budget lines in their order (priority, id), each with its labels in the
    order written (as the relationships order them), in one query."""
    return (
        select(
            BudgetLine.id,
            BudgetLine.amount_minor,
            BudgetLine.funded_minor,
            BudgetLine.spent_minor,
            BudgetLine.essential,
            BudgetLine.priority,
            BudgetLineLabel.language,
            BudgetLineLabel.label,
            BudgetLineLabel.description,
        )
        .outerjoin(BudgetLineLabel, BudgetLineLabel.budget_line_id == BudgetLine.id)
        .where(BudgetLine.appeal_id == bindparam("appeal_id"))
        .order_by(BudgetLine.priority, BudgetLine.id, BudgetLineLabel.id)
    )


def _lines(appeal_id: int) -> list[PublicLine]:
    rows = db.session.connection().execute(_lines_statement(), {"appeal_id": appeal_id})
    lines: dict[int, tuple[tuple[Any, ...], list[PublicLineLabel]]] = {}
    for line_id, amount, funded, spent, essential, priority, language, label, text in rows:
        entry = lines.setdefault(line_id, ((amount, funded, spent, essential, priority), []))
        if language is not None:
            entry[1].append(PublicLineLabel(language, label, text))
    return [
        PublicLine(line_id, amount, funded, spent, essential, priority, tuple(labels))
        for line_id, ((amount, funded, spent, essential, priority), labels) in lines.items()
    ]


@cache
def _shown_updates() -> Select[*tuple[Any, ...]]:
    return (
        select(
            AppealUpdate.public_id,
            AppealUpdate.title,
            AppealUpdate.body_markdown,
            AppealUpdate.posted_at,
            AppealUpdate.language,
            PublicImage.token,
            PublicImage.alt_text,
            PublicImage.width,
            PublicImage.height,
        )
        .outerjoin(PublicImage, PublicImage.id == AppealUpdate.image_id)
        .where(AppealUpdate.appeal_id == bindparam("appeal_id"), AppealUpdate.shown_publicly())
        .order_by(AppealUpdate.posted_at.desc(), AppealUpdate.id.desc())
    )


def _updates(appeal_id: int) -> list[PublicUpdate]:
    rows = db.session.connection().execute(_shown_updates(), {"appeal_id": appeal_id})
    return [
        PublicUpdate(
            public_id,
            title,
            body,
            posted_at,
            language,
            PublicUpdateImage(token, *image) if token is not None else None,
        )
        for public_id, title, body, posted_at, language, token, *image in rows
    ]


def _refuse_unlisted(appeal: Appeal | PageAppeal, slug: str) -> None:
    if not is_listed(appeal):
        # Only an appeal the public could once see is "gone": a 410 for a draft that was
        # never published would tell anyone guessing addresses that it exists.
        if appeal.published_at is None:
            raise LookupError(slug)
        raise AppealGoneError(slug)


def _check_slug(slug: str) -> None:
    if not slug or len(slug) > 24 or not slug.isascii():
        raise LookupError(slug)


def find_listed(slug: str) -> Appeal:
    """The listed appeal with this slug. LookupError if no appeal ever had it or it was
    never published, AppealGoneError if it was on the public site and is not any more:
    neither says why."""
    _check_slug(slug)
    appeal = db.session.execute(_by_slug(), {"slug": slug}).unique().scalar()
    if appeal is None:
        raise LookupError(slug)
    _refuse_unlisted(appeal, slug)
    return appeal


def _page_appeal(slug: str) -> tuple[PageAppeal, PublicCover | None, Organiser]:
    _check_slug(slug)
    rows = db.session.connection().execute(_page_by_slug(), {"slug": slug}).all()
    if not rows:
        raise LookupError(slug)
    first = rows[0]
    texts = tuple(
        PageText(*row[_ORGANISATION_END:]) for row in rows if row[_ORGANISATION_END] is not None
    )
    appeal = PageAppeal(*first[:_APPEAL_END], texts)  # type: ignore[call-arg]  # unpacked row
    _refuse_unlisted(appeal, slug)
    cover_token, *cover_details = first[_APPEAL_END:_COVER_END]
    cover = PublicCover(cover_token, *cover_details) if cover_token is not None else None
    return appeal, cover, Organiser(*first[_COVER_END:_ORGANISATION_END])


def public_appeal(slug: str, locale: str) -> PublicAppeal:
    """Everything the appeal page and the API's detail show, in four queries."""
    appeal, cover, organiser = _page_appeal(slug)
    lines = _lines(appeal.id)
    updates = _updates(appeal.id)
    currency = appeal.currency
    states = [
        LineState(line.id, line.amount_minor, line.funded_minor, line.essential, line.priority)
        for line in lines
    ]
    return PublicAppeal(
        appeal=appeal,
        card=card_for(
            appeal,
            appeal.translations,
            locale,
            cover.token if cover else None,
            organisation=(organiser.name, organiser.slug),
            lines=states,
        ),
        text=pick_text(appeal.translations, locale, appeal.fallback_language),
        lines=lines,
        updates=updates,
        badge=verification_badge(appeal, organiser.name),
        organiser=organiser,
        funded=Money(sum(line.funded_minor for line in lines), currency),
        spent=Money(sum(line.spent_minor for line in lines), currency),
        alternates=sorted(t.language for t in appeal.translations),
        cover=cover,
    )
