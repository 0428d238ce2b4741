"""The OpenAPI document: valid OpenAPI 3.1, served as it is built, generated from the models the
views validate and answer with, and strict (no undeclared properties) on every object the API
returns."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import ValidationError

from ngo.api.openapi import openapi_document
from ngo.api.schemas import ANSWERS, AppealListQuery, AppealQuery, BudgetLine
from ngo.campaigns.models import Category
from ngo.config import LANGUAGES
from ngo.public.browse import MAX_LIMIT, PUBLIC_STATUSES, Band, Sort


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_document_is_served_as_built(get):
    response, body = get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert body == openapi_document()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_it_describes_exactly_the_api_routes(app):
    documented = set(openapi_document()["paths"])
    routed = {
        rule.rule.replace("<slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert routed == documented
    for path in documented:
        assert set(openapi_document()["paths"][path]) == {"get"}


def _parameters(path: str) -> dict[str, dict[str, Any]]:
    operation = openapi_document()["paths"][path]["get"]
    return {p["name"]: p["schema"] for p in operation["parameters"]}


def test_enums_come_from_the_code():
    params = _parameters("/api/v1/appeals")
    assert params["category"]["enum"] == [c.value for c in Category]
    assert params["status"]["enum"] == [s.value for s in PUBLIC_STATUSES]
    assert params["band"]["enum"] == [b.value for b in Band]
    assert params["sort"]["enum"] == [s.value for s in Sort]
    assert params["language"]["enum"] == list(LANGUAGES)
    assert params["lang"]["enum"] == list(LANGUAGES)
    assert "PL" in params["country"]["enum"] and "XX" not in params["country"]["enum"]
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, MAX_LIMIT)
    assert params["q"]["maxLength"] == 200
    assert params["cursor"]["maxLength"] == 200
    assert _parameters("/api/v1/appeals/{slug}")["slug"]["maxLength"] == 24


def test_every_operation_documents_caching_errors_and_limits():
    for path, item in openapi_document()["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "304", "400", "429"} <= set(responses), path
        headers = responses["200"]["headers"]
        assert {"ETag", "Cache-Control", "Access-Control-Allow-Origin"} <= set(headers)
    detail = openapi_document()["paths"]["/api/v1/appeals/{slug}"]["get"]["responses"]
    assert {"404", "410"} <= set(detail)


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_every_object_refuses_undeclared_properties():
    objects = _objects(openapi_document()["components"]["schemas"])
    assert len(objects) >= 7
    for schema in objects:
        assert schema["additionalProperties"] is False, schema


def test_parameters_and_answers_are_the_models():
    document = openapi_document()

    def query_names(path: str) -> list[str]:
        parameters = document["paths"][path]["get"]["parameters"]
        return [p["name"] for p in parameters if p["in"] == "query"]

    assert query_names("/api/v1/appeals") == list(AppealListQuery.model_fields)
    assert query_names("/api/v1/appeals/{slug}") == list(AppealQuery.model_fields)
    assert query_names("/api/v1/openapi.json") == []
    schemas = document["components"]["schemas"]
    assert set(schemas) == {model.__name__ for model in ANSWERS}
    for model in ANSWERS:
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields), model


def test_answers_refuse_what_the_document_refuses():
    line = {
        "label": "Rent",
        "description": "",
        "amount_minor": 100,
        "funded_minor": 0,
        "spent_minor": 0,
        "essential": True,
        "priority": 1,
    }
    BudgetLine(**line)
    for wrong in (
        {"amount_minor": 1.5},  # never floating point
        {"amount_minor": "100"},
        {"amount_minor": 0},
        {"funded_minor": -1},
        {"essential": 1},
        {"note": "undeclared"},
    ):
        with pytest.raises(ValidationError):
            BudgetLine(**{**line, **wrong})


def test_links_name_real_operations_and_parameters():
    document = openapi_document()
    operations = {item["get"]["operationId"]: item["get"] for item in document["paths"].values()}
    links = document["paths"]["/api/v1/appeals"]["get"]["responses"]["200"]["links"]
    assert set(links) == {"nextPage", "firstAppeal"}
    for link in links.values():
        target = {p["name"] for p in operations[link["operationId"]]["parameters"]}
        assert set(link["parameters"]) <= target, link
    assert links["nextPage"]["parameters"]["cursor"] == "$response.body#/next_cursor"
