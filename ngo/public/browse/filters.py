"""What a reader may ask of the public list: filters, sort orders, page numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from ngo.campaigns import search
from ngo.campaigns.models import (
    AppealStatus,
    Category,
)
from ngo.config import LANGUAGES
from ngo.i18n import country_names

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
