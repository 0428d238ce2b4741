"""Schemathesis fuzzes every operation of the OpenAPI document, loaded from the running app: no
answer may be a server error, and each must conform to the document (status code, content type,
headers, body schema). Schema-valid requests are generated, then schema-invalid ones, which the
strict API must refuse with a 4xx."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ngo.campaigns.models import Appeal
from ngo.extensions import db
from tests.api.conftest import add_appeals

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 60


@pytest.fixture
def app_config():
    # Hundreds of requests from one client: the rate limit is tested elsewhere.
    return {"PUBLIC_RATE_LIMIT": "100000 per minute"}


def isolated(app: Flask):
    """The app as a WSGI callable that runs each request in its own application context (as in
    production), not in the one the `app` fixture has pushed."""

    def wsgi(environ, start_response) -> Iterable[bytes]:
        return contextvars.Context().run(app, environ, start_response)

    return wsgi


@pytest.fixture
def slugs(app, template) -> list[str]:
    ids = add_appeals(template, 6)
    return [db.session.get(Appeal, i).slug for i in ids]


@pytest.fixture
def api_schema(app, slugs):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app))


def _operations(schema) -> list:
    operations = [result.ok() for result in schema.get_all_operations()]
    # Schemathesis leaves out the operation that serves the schema it was loaded from;
    # test_openapi.py checks that one.
    assert {op.label for op in operations} == {"GET /api/v1/appeals", "GET /api/v1/appeals/{slug}"}
    return operations


def _fuzz(strategy, checks, statuses: dict[str, set[int]]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:
        response = case.call()
        statuses.setdefault(case.operation.label, set()).add(response.status_code)
        case.validate_response(response, checks=checks)

    fuzz()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms_to_the_document(api_schema, mode):
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
    statuses: dict[str, set[int]] = {}
    for operation in _operations(api_schema):
        _fuzz(operation.as_strategy(generation_mode=mode), checks, statuses)
    # The fuzzer reached answers as well as refusals. (A negative case may still be answered
    # 200 when its invalid part cannot be sent, such as a parameter with an empty name and
    # no value; negative_data_rejection knows and skips those.)
    if mode == GenerationMode.POSITIVE:
        assert 200 in statuses["GET /api/v1/appeals"], statuses
    assert 400 in statuses["GET /api/v1/appeals"], statuses
    assert 404 in statuses["GET /api/v1/appeals/{slug}"], statuses


def test_existing_appeals_conform_to_the_document(api_schema, slugs):
    """Random slugs never exist: fuzz the other parameters of the detail on real appeals."""
    (detail,) = [op for op in _operations(api_schema) if op.label.endswith("{slug}")]
    statuses: dict[str, set[int]] = {}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = st.sampled_from(slugs).flatmap(
            lambda slug, mode=mode: detail.as_strategy(
                generation_mode=mode, path_parameters={"slug": slug}
            )
        )
        checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
        _fuzz(strategy, checks, statuses)
    assert {200, 400} <= statuses[detail.label], statuses


def test_boundary_values_conform_to_the_document(api_schema):
    """Schemathesis' coverage phase: each parameter at and just past its limits, missing,
    empty, of the wrong type, every enum value and one outside, other HTTP methods."""
    checks = [*CHECKS, negative_data_rejection]
    counts: dict[str, dict[int, int]] = {}
    for operation in _operations(api_schema):
        config = api_schema.config.generation_for(operation=operation, phase="coverage")
        cases = list(
            api_schema.iter_coverage_cases(
                operation,
                generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                generation_config=config,
            )
        )
        assert len(cases) >= 20
        for case in cases:
            response = case.call()
            seen = counts.setdefault(operation.label, {})
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            case.validate_response(response, checks=checks)
    assert {200, 400, 405} <= set(counts["GET /api/v1/appeals"]), counts
