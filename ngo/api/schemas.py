"""The contract of the public API, written once: the query parameters each operation accepts
and the JSON it answers, as Pydantic models. The views validate requests and build answers with
them, and openapi.py makes /api/v1/openapi.json from their JSON Schema, so what is checked,
what is sent and what is documented cannot drift apart.

Pydantic rather than marshmallow (flask-smorest, APIFlask): its JSON Schema is draft 2020-12,
the dialect of OpenAPI 3.1, with no translation layer; it is already installed (the OpenAPI
validators depend on it); it serialises in Rust, which the API's fresh-render budget needs; and
it adds models, not a framework that would replace our blueprint, error pages and caching.

Answers are validated strictly as they are built (no coercion: an amount that is not an int,
a status that is not public, a field the document does not describe is a server error in our
tests, never a different answer). Every object refuses undeclared properties.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema
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
        description="Which translation to return; by default the appeal's own language. An "
        "appeal not written in it is returned in its own language (see `language`)."
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


# Answers ----------------------------------------------------------------------------------


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AppealSummary(Answer):
    """What a list shows of one appeal."""

    slug: Slug
    url: Annotated[Url, Field(description="The appeal's public page.")]
    status: Annotated[str, OneOf(PUBLIC_STATUSES)]
    title: str
    summary: str
    display_name: Annotated[
        str,
        Field(description="The name the person chose to be shown under (often a pseudonym)."),
    ]
    language: Annotated[Language, Field(description="The language of the texts returned.")]
    languages: Annotated[
        list[Language],
        Field(
            description="Languages the appeal is written in.",
            json_schema_extra={"uniqueItems": True},
        ),
    ]
    categories: Annotated[
        list[Annotated[Category, OneOf(Category)]],
        Field(json_schema_extra={"uniqueItems": True}),
    ]
    country: Annotated[str, Field(pattern="^[A-Z]{2}$")] | None
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", description="ISO 4217.")]
    deadline: date | None
    published_at: Timestamp | None
    last_update_at: Timestamp | None
    goal_minor: Minor
    essential_minor: Minor
    raised_minor: Minor
    funded_minor: Annotated[
        int, Field(ge=0, description="Allocated to budget lines, in minor units.")
    ]
    spent_minor: Annotated[
        int, Field(ge=0, description="Paid out from budget lines, in minor units.")
    ]
    cover_image_url: Url | None


class AppealList(Answer):
    data: Annotated[list[AppealSummary], Field(max_length=MAX_LIMIT)]
    next_cursor: Annotated[
        Annotated[str, Field(max_length=MAX_CURSOR_LENGTH)] | None,
        Field(description="Pass as `cursor` for the next page; null on the last page."),
    ]


class BudgetLine(Answer):
    label: str
    description: str
    amount_minor: Annotated[int, Field(ge=1)]
    funded_minor: Minor
    spent_minor: Minor
    essential: bool
    priority: int


class Verification(Answer):
    """What was checked, when and by which organisation."""

    organisation: Annotated[
        str, Field(description="The organisation that verified the story; never a person.")
    ]
    verified_on: Timestamp
    checks: list[str]
    valid_until: Timestamp | None


class AppealUpdate(Answer):
    id: Slug
    title: str
    body_markdown: str
    posted_at: Timestamp
    language: Language
    image_url: Url | None


class Appeal(AppealSummary):
    """One appeal in full: only its public texts and counters."""

    story_markdown: str
    update_interval_days: Annotated[int, Field(ge=0)]
    budget_lines: list[BudgetLine]
    verification: Verification | None
    updates: list[AppealUpdate]


Hash = Annotated[str, Field(pattern="^[0-9a-f]{64}$")]


class LedgerEntry(Answer):
    """One movement of the appeal's money. Never a donor's name unless they chose one to show
    for this gift; never an e-mail, a message or anything about a payee."""

    seq: Annotated[int, Field(ge=1, description="The entry's place in the ledger's chain.")]
    occurred_at: Timestamp
    kind: Annotated[
        str,
        Field(
            description="donation, refund, chargeback, disbursement, reallocation, "
            "general_fund or another kind of movement."
        ),
    ]
    amount_minor: Annotated[
        int, Field(ge=0, description="What moved, in minor units of the appeal's currency.")
    ]
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", description="The appeal's currency.")]
    budget_lines: Annotated[
        list[str],
        Field(description="Labels of the budget lines it concerns; empty for the whole appeal."),
    ]
    gift_id: Annotated[
        str | None, Field(description="A gift's public reference (gifts and their refunds).")
    ]
    gift_amount_minor: Annotated[
        int | None, Field(ge=1, description="What the donor gave, in `gift_currency`.")
    ]
    gift_currency: Annotated[str, Field(pattern="^[A-Z]{3}$")] | None
    fee_minor: Annotated[
        int | None, Field(ge=0, description="The payment fee, in `gift_currency`.")
    ]
    donor: Annotated[
        str | None,
        Field(description="The name the donor chose to show for this gift; null: anonymous."),
    ]
    receipt_code_hash: Annotated[
        Hash | None,
        Field(
            description="SHA-256 of `ngo-gift:<gift_id>:<receipt code>` (the code in capitals "
            "without dashes): the donor can find their gift; nobody else can link it to them."
        ),
    ]
    description: Annotated[str | None, Field(description="A disbursement's public description.")]
    hash: Annotated[Hash, Field(description="The entry's hash in the ledger's chain.")]


class LedgerCheckpointInfo(Answer):
    """The newest signed checkpoint of the whole ledger (every appeal's entries)."""

    seq: Annotated[int, Field(ge=1)]
    head_hash: Hash
    created_at: Timestamp
    signature: str
    public_key: Annotated[str, Field(description="The Ed25519 key that signed it.")]
    line: Annotated[str, Field(description="The checkpoint as one line, to keep a copy of.")]


class Ledger(Answer):
    slug: Slug
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$")]
    data: Annotated[list[LedgerEntry], Field(max_length=LEDGER_MAX_LIMIT)]
    next_cursor: Annotated[
        Annotated[str, Field(max_length=MAX_CURSOR_LENGTH)] | None,
        Field(description="Pass as `cursor` for the next page; null on the last page."),
    ]
    checkpoint: LedgerCheckpointInfo | None
    how_to_verify: str


class ErrorDetail(Answer):
    status: Annotated[int, Field(ge=400, le=599)]
    message: Annotated[str, Field(min_length=1)]
    field: Annotated[
        str | SkipJsonSchema[None],
        Field(description="The query parameter that was refused."),
    ] = None


class Error(Answer):
    error: ErrorDetail


ANSWERS: tuple[type[Answer], ...] = (
    AppealList,
    AppealSummary,
    Appeal,
    BudgetLine,
    Verification,
    AppealUpdate,
    Ledger,
    LedgerEntry,
    LedgerCheckpointInfo,
    Error,
    ErrorDetail,
)


def error(status: int, message: object, field: str | None = None) -> Error:
    return Error(error=ErrorDetail(status=status, message=str(message), field=field))
