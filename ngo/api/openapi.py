"""The OpenAPI 3.1 document of the public API, generated from the models in schemas.py: their
JSON Schema is the components, their query fields are the parameters. What is written here is
only what no model holds: the operations, the headers, and the statuses the stack answers
(the app, and gunicorn in front of it).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import core_schema

from ngo.api.schemas import (
    ANSWERS,
    API_PREFIX,
    MAX_QUERY_STRING,
    AppealListQuery,
    AppealQuery,
    DocumentQuery,
    LedgerQuery,
    Slug,
)

Schema = dict[str, Any]
SCHEMAS = "#/components/schemas/{model}"


class ContractSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema, without the titles it makes up from field names."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> Schema:
        generated = super().default_schema(schema)
        if generated.get("default", 0) is None:  # "absent", not a null the client may send
            del generated["default"]
        return generated


def _ref(name: str) -> Schema:
    return {"$ref": SCHEMAS.format(model=name)}


def _components() -> Schema:
    _, definitions = models_json_schema(
        [(model, "serialization") for model in ANSWERS],
        ref_template=SCHEMAS,
        schema_generator=ContractSchema,
    )
    return dict(sorted(definitions["$defs"].items()))


def _without_null(schema: Schema) -> Schema:
    """A query parameter is absent or a string: never null."""
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if len(branches) == 1:
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **branches[0]}
    return schema


def query_parameters(model: type[BaseModel]) -> list[Schema]:
    """The model's fields as OpenAPI query parameters, in the model's order."""
    schema = model.model_json_schema(schema_generator=ContractSchema)
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = _without_null(dict(field_schema))
        description = field_schema.pop("description", "")
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
                "description": description,
                "schema": field_schema,
            }
        )
    return parameters


def _slug_schema() -> Schema:
    return TypeAdapter(Slug).json_schema(schema_generator=ContractSchema)


IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of a copy the client holds: answered 304 if it is current.",
    "schema": {"type": "string"},
}
_STRING = {"schema": {"type": "string"}}
CORS = {
    "schema": {"type": "string", "const": "*"},
    "description": "Public data: any site may read it, without credentials.",
}
CACHE_HEADERS: dict[str, Schema] = {
    "ETag": {
        **_STRING,
        "description": "Version of the answer, for If-None-Match (absent for signed-in staff).",
    },
    "Cache-Control": {**_STRING, "required": True},
    "Access-Control-Allow-Origin": {**CORS, "required": True},
}
REQUIRED_CORS = {"Access-Control-Allow-Origin": {**CORS, "required": True}}
OPTIONAL_CORS = {"Access-Control-Allow-Origin": CORS}
RETRY_AFTER = {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}
# gunicorn answers some requests before the app sees them, with a small HTML page of its own.
GUNICORN_PAGE = {"text/html": {"schema": {"type": "string"}}}


def _json(schema: Schema, description: str, headers: dict[str, Schema] | None = None) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _error(description: str, headers: dict[str, Schema] | None = None) -> Schema:
    return _json(_ref("Error"), description, headers)


RESPONSES: dict[str, Schema] = {
    "NotModified": {
        "description": "The client's copy (If-None-Match) is current.",
        "headers": {
            "ETag": CACHE_HEADERS["ETag"],
            "Cache-Control": CACHE_HEADERS["Cache-Control"],
            **REQUIRED_CORS,
        },
    },
    "BadRequest": _error(
        "A parameter is unknown, repeated, empty or has a value that cannot be used, or the "
        "address holds a NUL character; `field` names the parameter.",
        REQUIRED_CORS,
    ),
    "NotFound": _error("No appeal has this address.", REQUIRED_CORS),
    "MethodNotAllowed": _error(
        "Only GET, HEAD and OPTIONS are answered; `Allow` lists them.",
        {"Allow": {**_STRING, "required": True}},
    ),
    "Gone": _error("The appeal is no longer on the public site.", REQUIRED_CORS),
    "ContentTooLarge": _error(
        "The request carries a body larger than the app accepts (the API reads none).",
        REQUIRED_CORS,
    ),
    "UriTooLong": {
        "description": (
            f"The query is longer than {MAX_QUERY_STRING} bytes (the app), or the request "
            "line longer than the server in front accepts (gunicorn: 4094 bytes by default, "
            "answered with its own HTML page)."
        ),
        "headers": OPTIONAL_CORS,
        "content": {"application/json": {"schema": _ref("Error")}, **GUNICORN_PAGE},
    },
    "TooManyRequests": _error(
        "The client read too much too fast: wait the number of seconds in Retry-After.",
        {"Retry-After": {**RETRY_AFTER, "required": True}, **REQUIRED_CORS},
    ),
    "RequestHeaderFieldsTooLarge": {
        "description": "Too many or too large request headers (answered by gunicorn).",
        "content": GUNICORN_PAGE,
    },
    "InternalServerError": _error("Something went wrong on our side.", OPTIONAL_CORS),
    "ServiceUnavailable": _error(
        "The database cannot be reached for a moment: try again after Retry-After seconds.",
        {"Retry-After": RETRY_AFTER, **OPTIONAL_CORS},
    ),
}
# Every operation: what the app or the server in front may answer whatever the parameters.
COMMON = {
    "304": "NotModified",
    "400": "BadRequest",
    "405": "MethodNotAllowed",
    "413": "ContentTooLarge",
    "414": "UriTooLong",
    "429": "TooManyRequests",
    "431": "RequestHeaderFieldsTooLarge",
    "500": "InternalServerError",
    "503": "ServiceUnavailable",
}


def _get(
    operation_id: str,
    summary: str,
    parameters: list[Schema],
    ok: Schema,
    also: dict[str, str] | None = None,
) -> Schema:
    codes = {**COMMON, **(also or {})}
    responses: dict[str, Schema] = {"200": ok}
    for code in sorted(codes):
        responses[code] = {"$ref": f"#/components/responses/{codes[code]}"}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [*parameters, IF_NONE_MATCH],
            "responses": responses,
        }
    }


def _request_query(model: type[BaseModel], *names: str) -> dict[str, str]:
    return {name: f"$request.query.{name}" for name in model.model_fields if name not in names}


# Links let a client (and the stateful fuzzer) follow the API: from a page to the next one with
# the same filters, and from a list to the first appeal on it.
LIST_LINKS = {
    "nextPage": {
        "operationId": "listAppeals",
        "description": "The next page of the same list: same filters, sort and limit.",
        "parameters": {
            **_request_query(AppealListQuery, "cursor"),
            "cursor": "$response.body#/next_cursor",
        },
    },
    "firstAppeal": {
        "operationId": "getAppeal",
        "description": "The first appeal of the page, in the same language.",
        "parameters": {"slug": "$response.body#/data/0/slug", "lang": "$request.query.lang"},
    },
}


LEDGER_LINKS = {
    "nextLedgerPage": {
        "operationId": "getAppealLedger",
        "description": "The next page of the same appeal's ledger, with the same limit.",
        "parameters": {
            "slug": "$request.path.slug",
            "limit": "$request.query.limit",
            "cursor": "$response.body#/next_cursor",
        },
    },
}


def openapi_document() -> Schema:
    """A fresh copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())


@cache
def _document() -> Schema:
    list_answer = _json(_ref("AppealList"), "A page of appeals.", CACHE_HEADERS)
    list_answer["links"] = LIST_LINKS
    ledger_answer = _json(_ref("Ledger"), "A page of the appeal's ledger.", CACHE_HEADERS)
    ledger_answer["links"] = LEDGER_LINKS
    slug = {
        "name": "slug",
        "in": "path",
        "required": True,
        "description": "The appeal's public identifier.",
        "schema": _slug_schema(),
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "ngo public appeals API",
            "version": "1.2.0",
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
                query_parameters(AppealListQuery),
                list_answer,
            ),
            f"{API_PREFIX}/appeals/{{slug}}": _get(
                "getAppeal",
                "One listed appeal in full.",
                [slug, *query_parameters(AppealQuery)],
                _json(_ref("Appeal"), "The appeal.", CACHE_HEADERS),
                {"404": "NotFound", "410": "Gone"},
            ),
            f"{API_PREFIX}/appeals/{{slug}}/ledger": _get(
                "getAppealLedger",
                "The public ledger of one listed appeal, newest first (cursor pagination), "
                "with the ledger's newest signed checkpoint.",
                [slug, *query_parameters(LedgerQuery)],
                ledger_answer,
                {"404": "NotFound", "410": "Gone"},
            ),
            f"{API_PREFIX}/openapi.json": _get(
                "getOpenApiDocument",
                "This document.",
                query_parameters(DocumentQuery),
                _json({"type": "object"}, "The OpenAPI document.", CACHE_HEADERS),
            ),
        },
        "components": {"schemas": _components(), "responses": RESPONSES},
    }
