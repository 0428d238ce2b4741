"""The query side of the public API's contract: the parameters each operation accepts, with
the refusal each bad value gets, and the field types answers share (see ngo/api/schemas.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError, core_schema
from werkzeug.datastructures import MultiDict

from ngo.campaigns.models import AppealStatus, Category
from ngo.config import LANGUAGES
from ngo.donations.public_ledger import MAX_LIMIT as LEDGER_MAX_LIMIT
from ngo.donations.public_ledger import PAGE_SIZE as LEDGER_PAGE_SIZE
from ngo.public.browse import (
    MAX_LIMIT,
    MAX_VALUE_LENGTH,
    PAGE_SIZE,
    PUBLIC_STATUSES,
    Band,
    Sort,
    country_names,
)

API_PREFIX = "/api/v1"
MAX_CURSOR_LENGTH = 200
# The longest query string the API reads (longer is a 414): 8 KiB is the request line that
# common servers and proxies accept at most (nginx's large_client_header_buffers, gunicorn's
# highest limit_request_line), and well above any query the document allows.
MAX_QUERY_STRING = 8 * 1024
MAX_SLUG_LENGTH = 24
# A refused parameter's name is echoed in `field`; a long one is cut.
MAX_FIELD_LENGTH = 60
COUNTRY_CODES = tuple(sorted(country_names("en")))
LANGUAGE_CODES = tuple(LANGUAGES)


class OneOf:
    """Exactly one of these spellings (an enum in the document; no padding, no other case, so
    that one URL means one thing). Validates to the enum member where the values are members."""

    def __init__(self, values: Iterable[str]) -> None:
        self.members = {str(value): value for value in values}

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self.members.__getitem__, core_schema.literal_schema(list(self.members))
        )


class Refusal:
    """What a 400 says when this parameter's value cannot be used: `default`, or the message
    given for one kind of Pydantic error (`string_too_long=...`)."""

    def __init__(self, default: object, **by_error: object) -> None:
        self.default = default
        self.by_error = by_error

    def message(self, error_type: str) -> str:
        return str(self.by_error.get(error_type, self.default))


def _ascii_digits(value: object) -> object:
    # Python and Pydantic read "+5", " 5", "5_0", "1.0" and other scripts' digits as numbers:
    # the API takes only what the document's integer means on the wire.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 6):
        raise PydanticCustomError("whole_number", "Not a whole number")
    return value


def _utc_to_the_second(value: datetime) -> datetime:
    """Stored times are naive UTC: answer them in UTC, to the second."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


# Shared field types -----------------------------------------------------------------------

Slug = Annotated[
    str,
    Field(min_length=1, max_length=MAX_SLUG_LENGTH, pattern="^[a-z0-9]+$"),
]
Language = Annotated[str, OneOf(LANGUAGE_CODES)]
Minor = Annotated[
    int,
    Field(ge=0, description="An amount in minor units (cents, grosze) of the appeal's currency."),
]
Timestamp = Annotated[
    datetime, AfterValidator(_utc_to_the_second), Field(description="UTC, RFC 3339.")
]
Url = Annotated[str, Field(json_schema_extra={"format": "uri"})]

# Query parameters -------------------------------------------------------------------------


class Query(BaseModel):
    """Query parameters: every one optional, each sent at most once and never empty."""

    # The q pattern is read as Python reads it (letters and digits of every script), as the
    # fuzzer that generates from the document does.
    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")


LangParameter = Annotated[
    str | None,
    OneOf(LANGUAGE_CODES),
    Refusal(_l("Unknown language.")),
    Field(
        description="Which translation to return. An appeal not written in it (or, without "
        "`lang`, every appeal) is returned in English if written in English, else in its own "
        "language (see `language`)."
    ),
]


class AppealListQuery(Query):
    q: Annotated[
        str | None,
        Field(
            max_length=MAX_VALUE_LENGTH,
            # At least one letter or digit, and no NUL (refused everywhere, see ngo.security).
            pattern=r"^[^\x00]*[^\W_][^\x00]*$",
            description="Words to search for in every language of the appeals' public texts "
            "(at least one letter or digit). Words that no appeal can hold (in a script the "
            "search does not index) find nothing.",
        ),
        Refusal(
            _l("Type at least one word or number to search for."),
            string_too_long=_l("This value is too long."),
        ),
    ] = None
    category: Annotated[
        Category | None,
        OneOf(Category),
        Refusal(_l("Unknown category.")),
        Field(description="Only appeals in this category."),
    ] = None
    country: Annotated[
        str | None,
        OneOf(COUNTRY_CODES),
        Refusal(_l("Unknown country code; use two letters such as PL.")),
        Field(description="Only appeals for people in this country (ISO 3166)."),
    ] = None
    language: Annotated[
        str | None,
        OneOf(LANGUAGE_CODES),
        Refusal(_l("Unknown language.")),
        Field(description="Only appeals written in this language."),
    ] = None
    status: Annotated[
        AppealStatus | None,
        OneOf(PUBLIC_STATUSES),
        Refusal(_l("Unknown status.")),
        Field(description="Only appeals with this status."),
    ] = None
    band: Annotated[
        Band | None,
        OneOf(Band),
        Refusal(_l("Unknown funding band.")),
        Field(description="Only appeals funded within this band (percent of goal)."),
    ] = None
    sort: Annotated[
        Sort,
        OneOf(Sort),
        Refusal(_l("Unknown sort order.")),
        Field(description="Order of the list."),
    ] = Sort.NEWEST
    cursor: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            pattern="^[A-Za-z0-9_-]+$",
            description="The `next_cursor` of the previous page, with the same filters and sort.",
        ),
        Refusal(_l("This cursor is not valid; start again from the first page.")),
    ] = None
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_LIMIT, description="How many appeals per page."),
        BeforeValidator(_ascii_digits),
        Refusal(_l("Use a whole number from 1 to %(maximum)s.", maximum=MAX_LIMIT)),
    ] = PAGE_SIZE
    lang: LangParameter = None


class AppealQuery(Query):
    lang: LangParameter = None


class DocumentQuery(Query):
    pass


class LedgerQuery(Query):
    cursor: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            pattern="^[A-Za-z0-9_-]+$",
            description="The `next_cursor` of the previous page of the same appeal's ledger.",
        ),
        Refusal(_l("This cursor is not valid; start again from the first page.")),
    ] = None
    limit: Annotated[
        int,
        Field(ge=1, le=LEDGER_MAX_LIMIT, description="How many entries per page."),
        BeforeValidator(_ascii_digits),
        Refusal(_l("Use a whole number from 1 to %(maximum)s.", maximum=LEDGER_MAX_LIMIT)),
    ] = LEDGER_PAGE_SIZE


Q = TypeVar("Q", bound=Query)


class ParameterError(ValueError):
    """A query parameter that cannot be used: a 400 whose `field` names it."""

    def __init__(self, message: object, field: str) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


def parse_query(model: type[Q], args: MultiDict[str, str]) -> Q:
    """The query parameters as `model`: each known, given once, not empty, and valid; else the
    first one at fault (in the order sent, then in the order the model lists them)."""
    for name in args:
        if name not in model.model_fields:
            raise ParameterError(_l("This parameter is not known."), name[:MAX_FIELD_LENGTH])
        values = args.getlist(name)
        if len(values) > 1:
            raise ParameterError(_l("Send this parameter only once."), name)
        if values[0] == "":
            raise ParameterError(_l("Leave this parameter out rather than sending it empty."), name)
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        name = str(first["loc"][0])
        refusal = next(m for m in model.model_fields[name].metadata if isinstance(m, Refusal))
        raise ParameterError(refusal.message(first["type"]), name) from None
