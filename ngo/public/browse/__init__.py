"""What the public site and the public API show: listed appeals, filtered, searched, sorted and
paged, and the public face of one appeal.

Everything here reads only public columns (appeal, its translations, budget lines and
updates) and never joins a case's personal fields. Each function issues a fixed number of
queries whatever the number of appeals, so a page costs the same on a small or a big site.
"""

from ngo.campaigns.presentation import (
    Badge,
    line_text,
    pick_text,
    translation_for,
    verification_badge,
)
from ngo.i18n import NOT_COUNTRIES, country_names
from ngo.public.browse.appeal import (
    AppealGoneError,
    PageAppeal,
    PageText,
    PublicAppeal,
    PublicCover,
    PublicLine,
    PublicLineLabel,
    PublicUpdate,
    PublicUpdateImage,
    find_listed,
    public_appeal,
)
from ngo.public.browse.cards import (
    Card,
    Listing,
)
from ngo.public.browse.filters import (
    BAND_RANGES,
    FILTER_NAMES,
    FULL,
    MAX_LIMIT,
    MAX_PAGE,
    MAX_VALUE_LENGTH,
    PAGE_SIZE,
    PUBLIC_STATUSES,
    Band,
    BrowseError,
    Filters,
    Sort,
    parse_filters,
    parse_positive_int,
)
from ngo.public.browse.queries import (
    Page,
    cursor_page,
    funded_permyriad,
    list_page,
    listed_countries,
    listed_slugs_with_dates,
    newest_and_urgent,
)

__all__ = [
    "BAND_RANGES",
    "FILTER_NAMES",
    "FULL",
    "MAX_LIMIT",
    "MAX_PAGE",
    "MAX_VALUE_LENGTH",
    "NOT_COUNTRIES",
    "PAGE_SIZE",
    "PUBLIC_STATUSES",
    "AppealGoneError",
    "Badge",
    "Band",
    "BrowseError",
    "Card",
    "Filters",
    "Listing",
    "Page",
    "PageAppeal",
    "PageText",
    "PublicAppeal",
    "PublicCover",
    "PublicLine",
    "PublicLineLabel",
    "PublicUpdate",
    "PublicUpdateImage",
    "Sort",
    "country_names",
    "cursor_page",
    "find_listed",
    "funded_permyriad",
    "line_text",
    "list_page",
    "listed_countries",
    "listed_slugs_with_dates",
    "newest_and_urgent",
    "parse_filters",
    "parse_positive_int",
    "pick_text",
    "public_appeal",
    "translation_for",
    "verification_badge",
]
