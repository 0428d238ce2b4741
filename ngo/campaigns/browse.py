"""What the public site and the public API show: listed appeals, filtered, searched, sorted and
paged, and the public face of one appeal.

Everything here reads only public columns (appeal, its translations, budget lines and
updates) and never joins a case's personal fields. Each function issues a fixed number of
queries whatever the number of appeals, so a page costs the same on a small or a big site.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from babel import Locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from ngo.accounts.models import Organisation
from ngo.campaigns import search
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    Category,
    PublicImage,
)
from ngo.campaigns.visibility import is_listed, publicly_listed
from ngo.cases.models import Verification
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.money import Money, percent_of
from ngo.timeutil import utcnow

PAGE_SIZE = 20
MAX_PAGE = 1000
MAX_LIMIT = 100
MAX_VALUE_LENGTH = 200
# Funding is compared in hundredths of a percent, in integers on both databases.
FULL = 10_000


class Sort(StrEnum):
    NEWEST = "newest"
    DEADLINE = "deadline"
    CLOSEST = "closest"
    LEAST_FUNDED = "least_funded"


class Band(StrEnum):
    UNDER_25 = "0-25"
    UNDER_50 = "25-50"
    UNDER_75 = "50-75"
    UNDER_100 = "75-100"
    FUNDED = "funded"


BAND_RANGES: dict[Band, tuple[int, int | None]] = {
    Band.UNDER_25: (0, 2_500),
    Band.UNDER_50: (2_500, 5_000),
    Band.UNDER_75: (5_000, 7_500),
    Band.UNDER_100: (7_500, FULL),
    Band.FUNDED: (FULL, None),
}
PUBLIC_STATUSES = (AppealStatus.PUBLISHED, AppealStatus.FUNDED)
FILTER_NAMES = ("q", "category", "country", "language", "status", "band", "sort")


class BrowseError(ValueError):
    """A filter, page or cursor the reader sent cannot be used. `field` names the parameter."""

    def __init__(self, message: object, field: str) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    q: str = ""
    terms: tuple[str, ...] = ()
    category: Category | None = None
    country: str | None = None
    language: str | None = None
    status: AppealStatus | None = None
    band: Band | None = None
    sort: Sort = Sort.NEWEST

    def as_args(self) -> dict[str, str]:
        """The filters as query parameters (for links to other pages of the same list)."""
        args = {
            "q": self.q,
            "category": self.category.value if self.category else "",
            "country": self.country or "",
            "language": self.language or "",
            "status": self.status.value if self.status else "",
            "band": self.band.value if self.band else "",
            "sort": self.sort.value if self.sort != Sort.NEWEST else "",
        }
        return {k: v for k, v in args.items() if v}


# Two-letter codes CLDR names that are not countries (unknown region, EU, UN, eurozone...).
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


def country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


_COUNTRY_CODES = frozenset(country_names("en"))


def _choice(args: Mapping[str, str], name: str, enum: type[StrEnum], message: object) -> Any:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError:
        raise BrowseError(message, name) from None


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Read the filters from query parameters; unknown values are a BrowseError, never a
    silently empty list."""
    for name in FILTER_NAMES:
        if len(args.get(name, "")) > MAX_VALUE_LENGTH:
            raise BrowseError(_l("This value is too long."), name)
    q = " ".join(args.get("q", "").split())
    terms: tuple[str, ...] = ()
    if q:
        try:
            terms = tuple(search.query_terms(q))
        except search.SearchQueryError:
            raise BrowseError(_l("Type at least one word or number to search for."), "q") from None
    country = args.get("country", "").strip().upper() or None
    if country is not None and country not in _COUNTRY_CODES:
        raise BrowseError(_l("Unknown country code; use two letters such as PL."), "country")
    language = args.get("language", "").strip() or None
    if language is not None and language not in LANGUAGES:
        raise BrowseError(_l("Unknown language."), "language")
    status = _choice(args, "status", AppealStatus, _l("Unknown status."))
    if status is not None and status not in PUBLIC_STATUSES:
        raise BrowseError(_l("Unknown status."), "status")
    return Filters(
        q=q,
        terms=terms,
        category=_choice(args, "category", Category, _l("Unknown category.")),
        country=country,
        language=language,
        status=status,
        band=_choice(args, "band", Band, _l("Unknown funding band.")),
        sort=_choice(args, "sort", Sort, _l("Unknown sort order.")) or Sort.NEWEST,
    )


def parse_positive_int(raw: str | None, name: str, *, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or not 1 <= int(raw) <= maximum:
        raise BrowseError(
            _l("Use a whole number from 1 to %(maximum)s.", maximum=maximum),
            name,
        )
    return int(raw)


# Queries ----------------------------------------------------------------------------------


def funded_permyriad() -> ColumnElement[int]:
    return case((Appeal.goal_minor > 0, (Appeal.raised_minor * FULL) / Appeal.goal_minor), else_=0)


_NO_DEADLINE = date(9999, 12, 31)


def _deadline_key() -> ColumnElement[date]:
    return func.coalesce(Appeal.deadline, literal(_NO_DEADLINE))


def _filtered(filters: Filters, now: datetime) -> Select[tuple[Appeal]]:
    clauses: list[ColumnElement[bool]] = [publicly_listed(now)]
    if filters.terms:
        clauses.append(search.matching(list(filters.terms)))
    if filters.category is not None:
        # Categories are stored comma-separated and sorted; match a whole item.
        stored = literal(",") + Appeal.categories + literal(",")
        clauses.append(stored.contains(f",{filters.category.value},"))
    if filters.country is not None:
        clauses.append(Appeal.country == filters.country)
    if filters.language is not None:
        clauses.append(
            exists().where(
                AppealTranslation.appeal_id == Appeal.id,
                AppealTranslation.language == filters.language,
            )
        )
    if filters.status is not None:
        clauses.append(Appeal.status == filters.status.value)
    if filters.band is not None:
        low, high = BAND_RANGES[filters.band]
        clauses.append(funded_permyriad() >= low)
        if high is not None:
            clauses.append(funded_permyriad() < high)
    return select(Appeal).where(*clauses)


def _sort_key(sort: Sort) -> tuple[ColumnElement[Any], bool]:
    """The sort expression and whether it ascends; ties are broken by id in the same order."""
    if sort == Sort.DEADLINE:
        return _deadline_key(), True
    if sort == Sort.CLOSEST:
        return funded_permyriad(), False
    if sort == Sort.LEAST_FUNDED:
        return funded_permyriad(), True
    return Appeal.published_at, False


def _ordered(stmt: Select[tuple[Appeal]], sort: Sort) -> Select[tuple[Appeal]]:
    key, ascending = _sort_key(sort)
    if ascending:
        return stmt.order_by(key.asc(), Appeal.id.asc())
    return stmt.order_by(key.desc(), Appeal.id.desc())


def _with_texts(stmt: Select[tuple[Appeal]]) -> Select[tuple[Appeal]]:
    # Lists show title and summary: the stories stay in the database.
    return stmt.options(selectinload(Appeal.translations).defer(AppealTranslation.story_markdown))


@dataclass
class Page:
    cards: list[Card]
    total: int
    page: int
    pages: int


def list_page(filters: Filters, page: int, locale: str, per_page: int = PAGE_SIZE) -> Page:
    """One page of the public list: a count and the page's appeals (3 queries)."""
    now = utcnow()
    stmt = _filtered(filters, now)
    total = db.session.scalar(stmt.with_only_columns(func.count(Appeal.id))) or 0
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise BrowseError(_l("There is no page %(page)s of this list.", page=page), "page")
    appeals = db.session.scalars(
        _with_texts(_ordered(stmt, filters.sort)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(cards=cards_for(appeals, locale), total=total, page=page, pages=pages)


def newest_and_urgent(locale: str, count: int = 6) -> tuple[list[Card], list[Card]]:
    """For the home page: the most urgent (nearest deadline) and the newest appeals."""
    now = utcnow()
    urgent = db.session.scalars(
        _with_texts(
            _ordered(
                _filtered(Filters(), now).where(
                    Appeal.deadline.is_not(None), Appeal.status == AppealStatus.PUBLISHED.value
                ),
                Sort.DEADLINE,
            )
        ).limit(count)
    ).all()
    newest = db.session.scalars(
        _with_texts(_ordered(_filtered(Filters(), now), Sort.NEWEST)).limit(count)
    ).all()
    return cards_for(list(urgent), locale), cards_for(list(newest), locale)


# Cursor pagination for the API: the cursor holds the sort, the last key and the last id.


def _encode_cursor(sort: Sort, key: Any, appeal_id: int) -> str:
    if isinstance(key, datetime | date):
        key = key.isoformat()
    raw = json.dumps([sort.value, key, appeal_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_sql_integer(value: object) -> bool:
    """An int the databases can compare (64-bit), not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    invalid = BrowseError(
        _l("This cursor is not valid; start again from the first page."), "cursor"
    )
    if len(cursor) > 200:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, appeal_id = json.loads(raw)
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError):
        raise invalid from None
    if cursor_sort != sort.value or not _is_sql_integer(appeal_id):
        raise invalid
    try:
        if sort == Sort.NEWEST:
            key = datetime.fromisoformat(key) if key is not None else None
        elif sort == Sort.DEADLINE:
            key = date.fromisoformat(key)
        elif not _is_sql_integer(key):
            raise invalid
    except (TypeError, ValueError):
        raise invalid from None
    return key, appeal_id


def _sort_value(appeal: Appeal, sort: Sort) -> Any:
    if sort == Sort.NEWEST:
        return appeal.published_at
    if sort == Sort.DEADLINE:
        return appeal.deadline or _NO_DEADLINE
    return appeal.raised_minor * FULL // appeal.goal_minor if appeal.goal_minor > 0 else 0


def cursor_page(
    filters: Filters, cursor: str | None, limit: int
) -> tuple[list[Appeal], str | None]:
    """Keyset pagination: stable while appeals are added, and as fast on the last page as on
    the first. Returns the appeals (with texts and budget lines loaded) and the next cursor."""
    stmt = _filtered(filters, utcnow())
    key, ascending = _sort_key(filters.sort)
    if cursor:
        last_key, last_id = _decode_cursor(cursor, filters.sort)
        if ascending:
            stmt = stmt.where(or_(key > last_key, and_(key == last_key, Appeal.id > last_id)))
        else:
            stmt = stmt.where(or_(key < last_key, and_(key == last_key, Appeal.id < last_id)))
    appeals = list(
        db.session.scalars(
            _ordered(stmt, filters.sort)
            .options(
                selectinload(Appeal.translations),
                selectinload(Appeal.budget_lines).selectinload(BudgetLine.labels),
            )
            .limit(limit + 1)
        )
    )
    next_cursor = None
    if len(appeals) > limit:
        appeals = appeals[:limit]
        last = appeals[-1]
        next_cursor = _encode_cursor(filters.sort, _sort_value(last, filters.sort), last.id)
    return appeals, next_cursor


# Presentation -----------------------------------------------------------------------------


def translation_for(appeal: Appeal, locale: str) -> AppealTranslation | None:
    """The text in the reader's language, else in the appeal's fallback language."""
    by_language = {t.language: t for t in appeal.translations}
    return (
        by_language.get(locale)
        or by_language.get(appeal.fallback_language)
        or (appeal.translations[0] if appeal.translations else None)
    )


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
        .where(PublicImage.appeal_id.in_(appeal_ids), PublicImage.purpose == "cover")
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
class Badge:
    """What was verified, when, and by which organisation; never by whom."""

    organisation: str
    verified_on: datetime
    checks: list[str]
    valid_until: datetime | None


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
            .where(AppealUpdate.appeal_id == appeal.id, AppealUpdate.withdrawn_at.is_(None))
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


def line_text(line: BudgetLine, locale: str, fallback: str) -> tuple[str, str]:
    """A budget line's label and description in the reader's language if written."""
    by_language = {label.language: label for label in line.labels}
    label = by_language.get(locale) or by_language.get(fallback)
    if label is None and line.labels:
        label = line.labels[0]
    return (label.label, label.description) if label else ("", "")


def listed_slugs_with_dates() -> list[tuple[str, datetime | None]]:
    """For the sitemap: every listed appeal and when it last changed."""
    rows = db.session.execute(
        select(Appeal.slug, func.coalesce(Appeal.last_update_at, Appeal.published_at))
        .where(publicly_listed())
        .order_by(Appeal.published_at.desc(), Appeal.id.desc())
    )
    return [(slug, changed) for slug, changed in rows]
