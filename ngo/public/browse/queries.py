"""The public lists: filtered, searched, sorted and paged, in a fixed number of queries."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import selectinload

from ngo.campaigns import search
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLine,
)
from ngo.campaigns.visibility import publicly_listed
from ngo.extensions import db
from ngo.public.browse.cards import Card, cards_for
from ngo.public.browse.filters import (
    BAND_RANGES,
    FULL,
    PAGE_SIZE,
    BrowseError,
    Filters,
    Sort,
)
from ngo.timeutil import utcnow

# Queries ----------------------------------------------------------------------------------


def funded_permyriad() -> ColumnElement[int]:
    return case((Appeal.goal_minor > 0, (Appeal.raised_minor * FULL) / Appeal.goal_minor), else_=0)


_NO_DEADLINE = date(9999, 12, 31)


def _deadline_key() -> ColumnElement[date]:
    return func.coalesce(Appeal.deadline, literal(_NO_DEADLINE))


def _filtered(filters: Filters, now: datetime) -> Select[Appeal]:
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


def _sort_key(sort: Sort) -> tuple[SQLColumnExpression[Any], bool]:
    """The sort expression and whether it ascends; ties are broken by id in the same order."""
    if sort == Sort.DEADLINE:
        return _deadline_key(), True
    if sort == Sort.CLOSEST:
        return funded_permyriad(), False
    if sort == Sort.LEAST_FUNDED:
        return funded_permyriad(), True
    return Appeal.published_at, False


def _ordered(stmt: Select[Appeal], sort: Sort) -> Select[Appeal]:
    key, ascending = _sort_key(sort)
    if ascending:
        return stmt.order_by(key.asc(), Appeal.id.asc())
    return stmt.order_by(key.desc(), Appeal.id.desc())


def _with_texts(stmt: Select[Appeal]) -> Select[Appeal]:
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


def listed_slugs_with_dates() -> list[tuple[str, datetime | None]]:
    """For the sitemap: every listed appeal and when it last changed."""
    rows = db.session.execute(
        select(Appeal.slug, func.coalesce(Appeal.last_update_at, Appeal.published_at))
        .where(publicly_listed())
        .order_by(Appeal.published_at.desc(), Appeal.id.desc())
    )
    return [(slug, changed) for slug, changed in rows]
