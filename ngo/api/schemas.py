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

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from ngo.api.queries import (
    API_PREFIX,
    COUNTRY_CODES,
    LANGUAGE_CODES,
    MAX_CURSOR_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_QUERY_STRING,
    MAX_SLUG_LENGTH,
    AppealListQuery,
    AppealQuery,
    DocumentQuery,
    LangParameter,
    Language,
    LedgerQuery,
    Minor,
    OneOf,
    ParameterError,
    Query,
    Refusal,
    Slug,
    Timestamp,
    Url,
    parse_query,
)
from ngo.campaigns.models import Category
from ngo.donations.public_ledger import MAX_LIMIT as LEDGER_MAX_LIMIT
from ngo.public.browse import (
    MAX_LIMIT,
    PUBLIC_STATUSES,
)

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
    donations_count: Annotated[
        int,
        Field(
            ge=0,
            description="How many gifts to the appeal are confirmed (a gift refunded in full "
            "or disputed is not counted). Donors' names are never part of the API.",
        ),
    ]
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
            description="donation, fee (a gift's payment fee, posted once the provider "
            "said what it charged), refund, chargeback, disbursement, reallocation, "
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


__all__ = [
    "ANSWERS",
    "API_PREFIX",
    "COUNTRY_CODES",
    "LANGUAGE_CODES",
    "MAX_CURSOR_LENGTH",
    "MAX_FIELD_LENGTH",
    "MAX_QUERY_STRING",
    "MAX_SLUG_LENGTH",
    "Answer",
    "Appeal",
    "AppealList",
    "AppealListQuery",
    "AppealQuery",
    "AppealSummary",
    "AppealUpdate",
    "BudgetLine",
    "DocumentQuery",
    "Error",
    "ErrorDetail",
    "Hash",
    "LangParameter",
    "Language",
    "Ledger",
    "LedgerCheckpointInfo",
    "LedgerEntry",
    "LedgerQuery",
    "Minor",
    "OneOf",
    "ParameterError",
    "Query",
    "Refusal",
    "Slug",
    "Timestamp",
    "Url",
    "Verification",
    "error",
    "parse_query",
]
