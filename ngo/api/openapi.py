"""The OpenAPI 3.1 document of the public API, kept as Python data and built from the same enums
and limits the views check, so the document cannot drift from what the API accepts.

Every object schema says `additionalProperties: false`: a field added to an answer without
being described here fails the tests that validate each answer against this document.
"""

from __future__ import annotations

import copy
from typing import Any

from ngo.campaigns.models import Category
from ngo.config import LANGUAGES
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
# Limits the views enforce (the browse layer's own limits where it has them).
MAX_CURSOR_LENGTH = 200
MAX_SLUG_LENGTH = 24
COUNTRY_CODES = tuple(sorted(country_names("en")))
LANGUAGE_CODES = tuple(LANGUAGES)
STATUS_VALUES = tuple(s.value for s in PUBLIC_STATUSES)
CATEGORY_VALUES = tuple(c.value for c in Category)
BAND_VALUES = tuple(b.value for b in Band)
SORT_VALUES = tuple(s.value for s in Sort)

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Schema], description: str = "") -> Schema:
    schema: Schema = {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


MINOR = {
    "type": "integer",
    "minimum": 0,
    "description": "An amount in minor units (cents, grosze) of the appeal's currency.",
}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, RFC 3339."}
URL = {"type": "string", "format": "uri"}
LANGUAGE = {"type": "string", "enum": list(LANGUAGE_CODES)}
SLUG = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_SLUG_LENGTH,
    "pattern": "^[a-z0-9]+$",
}

_SUMMARY_FIELDS: dict[str, Schema] = {
    "slug": SLUG,
    "url": {**URL, "description": "The appeal's public page."},
    "status": {"type": "string", "enum": list(STATUS_VALUES)},
    "title": {"type": "string"},
    "summary": {"type": "string"},
    "display_name": {
        "type": "string",
        "description": "The name the person chose to be shown under (often a pseudonym).",
    },
    "language": {**LANGUAGE, "description": "The language of the texts returned."},
    "languages": {
        "type": "array",
        "items": LANGUAGE,
        "uniqueItems": True,
        "description": "Languages the appeal is written in.",
    },
    "categories": {
        "type": "array",
        "items": {"type": "string", "enum": list(CATEGORY_VALUES)},
        "uniqueItems": True,
    },
    "country": _nullable({"type": "string", "pattern": "^[A-Z]{2}$"}),
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217."},
    "deadline": _nullable({"type": "string", "format": "date"}),
    "published_at": _nullable(TIMESTAMP),
    "last_update_at": _nullable(TIMESTAMP),
    "goal_minor": MINOR,
    "essential_minor": MINOR,
    "raised_minor": MINOR,
    "funded_minor": {**MINOR, "description": "Allocated to budget lines, in minor units."},
    "spent_minor": {**MINOR, "description": "Paid out from budget lines, in minor units."},
    "cover_image_url": _nullable(URL),
}

SCHEMAS: dict[str, Schema] = {
    "Error": _object(
        {
            "error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "message": {"type": "string", "minLength": 1},
                    "field": {
                        "type": "string",
                        "description": "The query parameter that was refused.",
                    },
                },
            }
        }
    ),
    "AppealSummary": _object(_SUMMARY_FIELDS, "What a list shows of one appeal."),
    "AppealList": _object(
        {
            "data": {"type": "array", "items": _ref("AppealSummary"), "maxItems": MAX_LIMIT},
            "next_cursor": {
                **_nullable({"type": "string", "maxLength": MAX_CURSOR_LENGTH}),
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
        }
    ),
    "BudgetLine": _object(
        {
            "label": {"type": "string"},
            "description": {"type": "string"},
            "amount_minor": {**MINOR, "minimum": 1},
            "funded_minor": MINOR,
            "spent_minor": MINOR,
            "essential": {"type": "boolean"},
            "priority": {"type": "integer"},
        }
    ),
    "Verification": _object(
        {
            "organisation": {
                "type": "string",
                "description": "The organisation that verified the story; never a person.",
            },
            "verified_on": TIMESTAMP,
            "checks": {"type": "array", "items": {"type": "string"}},
            "valid_until": _nullable(TIMESTAMP),
        },
        "What was checked, when and by which organisation.",
    ),
    "AppealUpdate": _object(
        {
            "id": SLUG,
            "title": {"type": "string"},
            "body_markdown": {"type": "string"},
            "posted_at": TIMESTAMP,
            "language": LANGUAGE,
            "image_url": _nullable(URL),
        }
    ),
    "Appeal": _object(
        {
            **_SUMMARY_FIELDS,
            "story_markdown": {"type": "string"},
            "update_interval_days": {"type": "integer", "minimum": 0},
            "budget_lines": {"type": "array", "items": _ref("BudgetLine")},
            "verification": _nullable(_ref("Verification")),
            "updates": {"type": "array", "items": _ref("AppealUpdate")},
        },
        "One appeal in full: only its public texts and counters.",
    ),
}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _choice(name: str, values: tuple[str, ...], description: str) -> Schema:
    return _query(name, {"type": "string", "enum": list(values)}, description)


LANG_PARAMETER = _choice(
    "lang",
    LANGUAGE_CODES,
    "Which translation to return; by default the appeal's own language. An appeal not "
    "written in it is returned in its own language (see `language`).",
)
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of a copy the client holds: answered 304 if it is current.",
    "schema": {"type": "string"},
}
LIST_PARAMETERS = [
    _query(
        "q",
        {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_LENGTH},
        "Words to search for in every language of the appeals' public texts.",
    ),
    _choice("category", CATEGORY_VALUES, "Only appeals in this category."),
    _choice("country", COUNTRY_CODES, "Only appeals for people in this country (ISO 3166)."),
    _choice("language", LANGUAGE_CODES, "Only appeals written in this language."),
    _choice("status", STATUS_VALUES, "Only appeals with this status."),
    _choice("band", BAND_VALUES, "Only appeals funded within this band (percent of goal)."),
    _choice("sort", SORT_VALUES, "Order of the list (default newest)."),
    _query(
        "cursor",
        {"type": "string", "minLength": 1, "maxLength": MAX_CURSOR_LENGTH},
        "The `next_cursor` of the previous page, with the same filters and sort.",
    ),
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": PAGE_SIZE},
        "How many appeals per page.",
    ),
    LANG_PARAMETER,
    IF_NONE_MATCH,
]

_HEADER_STRING = {"schema": {"type": "string"}}
CACHE_HEADERS: dict[str, Schema] = {
    "ETag": {
        **_HEADER_STRING,
        "description": "Version of the answer, for If-None-Match (absent for signed-in staff).",
    },
    "Cache-Control": {**_HEADER_STRING, "required": True},
    "Access-Control-Allow-Origin": {
        "schema": {"type": "string", "const": "*"},
        "required": True,
        "description": "Public data: any site may read it, without credentials.",
    },
}


def _json(schema: Schema, description: str, headers: dict[str, Schema] | None = None) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _response_ref(name: str) -> Schema:
    return {"$ref": f"#/components/responses/{name}"}


CORS_HEADER = {"Access-Control-Allow-Origin": CACHE_HEADERS["Access-Control-Allow-Origin"]}
RESPONSES: dict[str, Schema] = {
    "NotModified": {
        "description": "The client's copy (If-None-Match) is current.",
        "headers": {
            "ETag": CACHE_HEADERS["ETag"],
            "Cache-Control": CACHE_HEADERS["Cache-Control"],
            **CORS_HEADER,
        },
    },
    "BadRequest": _json(
        _ref("Error"),
        "A parameter is unknown, repeated, empty or has a value that cannot be used; "
        "`field` names it.",
        CORS_HEADER,
    ),
    "NotFound": _json(_ref("Error"), "No appeal has this address.", CORS_HEADER),
    "Gone": _json(_ref("Error"), "The appeal is no longer on the public site.", CORS_HEADER),
    "TooManyRequests": _json(
        _ref("Error"),
        "The client read too much too fast: wait the number of seconds in Retry-After.",
        {
            "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True},
            **CORS_HEADER,
        },
    ),
}


def _get(
    operation_id: str,
    summary: str,
    parameters: list[Schema],
    ok: Schema,
    errors: tuple[str, ...],
) -> Schema:
    codes = {"400": "BadRequest", "404": "NotFound", "410": "Gone"}
    responses: dict[str, Schema] = {"200": ok, "304": _response_ref("NotModified")}
    for code in errors:
        responses[code] = _response_ref(codes[code])
    responses["429"] = _response_ref("TooManyRequests")
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "responses": responses,
        }
    }


def openapi_document() -> Schema:
    """A fresh copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())


def _document() -> Schema:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "ngo public appeals API",
            "version": "1.0.0",
            "description": (
                "Read-only JSON of the appeals on the public site: only their published, "
                "consented texts and money counters. Amounts are integers in minor units "
                "with the ISO 4217 currency code, never floating point. Answers carry an "
                "ETag and Cache-Control; every client shares one rate limit with the public "
                "pages. Unknown query parameters are refused (400)."
            ),
        },
        "paths": {
            f"{API_PREFIX}/appeals": _get(
                "listAppeals",
                "Listed appeals, filtered and sorted, one page at a time (cursor pagination).",
                LIST_PARAMETERS,
                _json(_ref("AppealList"), "A page of appeals.", CACHE_HEADERS),
                ("400",),
            ),
            f"{API_PREFIX}/appeals/{{slug}}": _get(
                "getAppeal",
                "One listed appeal in full.",
                [
                    {
                        "name": "slug",
                        "in": "path",
                        "required": True,
                        "description": "The appeal's public identifier.",
                        "schema": SLUG,
                    },
                    LANG_PARAMETER,
                    IF_NONE_MATCH,
                ],
                _json(_ref("Appeal"), "The appeal.", CACHE_HEADERS),
                ("400", "404", "410"),
            ),
            f"{API_PREFIX}/openapi.json": _get(
                "getOpenApiDocument",
                "This document.",
                [IF_NONE_MATCH],
                _json({"type": "object"}, "The OpenAPI document.", CACHE_HEADERS),
                ("400",),
            ),
        },
        "components": {"schemas": SCHEMAS, "responses": RESPONSES},
    }
