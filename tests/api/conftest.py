"""Fixtures of the API tests: listed appeals in bulk, the OpenAPI document as a validator, and a
statement counter.

Bulk appeals are inserted with SQLAlchemy Core, like bench/public_pages.py: the publication gate
is proven by the campaigns tests, and a hundred real publications would make every test slow.
They belong to a factory-made person with no verified story (so no verification badge), or,
where the badge matters, to the demo appeal's person and verified story (`seed_demo`, slow).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, insert, select

from ngo.api.openapi import openapi_document
from ngo.campaigns import search, visibility
from ngo.campaigns.models import (
    Appeal,
    AppealSearchDocument,
    AppealTranslation,
    AppealUpdate,
    BudgetLine,
    BudgetLineLabel,
    PublicImage,
    new_public_slug,
)
from ngo.campaigns.visibility import publicly_listed
from ngo.demo import seed_demo
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.helpers import counted_statements  # noqa: F401  (tests import it from here)

CATEGORY_CYCLE = ["families", "legal", "medical", "political_prisoners", "education"]
COUNTRY_CYCLE = ["PL", "LT", "DE"]


@pytest.fixture
def demo_appeal(app, sample_documents_once) -> Appeal:
    """The demo data (`seed_demo`, a few seconds: use it sparingly) and its seed appeal
    ("€231 of €4,400"), published through the real publication gate."""
    seed_demo()
    db.session.commit()
    return db.session.scalars(select(Appeal).order_by(Appeal.id)).first()


@dataclass(frozen=True)
class Template:
    organisation_id: int
    beneficiary_id: int
    story_version_id: int | None


@pytest.fixture
def template(app) -> Template:
    """An organisation and a person for bulk appeals, with no verified story (no badge)."""
    person = factories.BeneficiaryFactory()
    # Committed before the bulk rows arrive, as a person is in life: the commit that follows
    # them would otherwise recompute the listing of a person touched in the same transaction,
    # and these appeals (written past the gate) would not stay listed.
    db.session.commit()
    return Template(person.organisation_id, person.id, None)


@pytest.fixture
def demo_template(demo_appeal: Appeal) -> Template:
    """The demo appeal's organisation, person and verified story: bulk appeals with a badge."""
    return Template(
        demo_appeal.organisation_id, demo_appeal.beneficiary_id, demo_appeal.story_version_id
    )


def listed_appeals() -> list[Appeal]:
    return list(db.session.scalars(select(Appeal).where(publicly_listed())))


def public_changed() -> None:
    """Rows written with Core bypass the session hooks: mark cached public pages stale as
    the services' transactions do."""
    visibility.bump_public_version(db.session)
    db.session.commit()


def add_appeals(
    template: Template,
    count: int,
    *,
    lines: int = 3,
    updates: int = 2,
    word: str = "harbour",
) -> list[int]:
    """`count` listed appeals with varied, partly equal sort keys (published time, deadline,
    funding), so that tie-breaking is exercised. Each has `lines` budget lines, two
    translations (en, and pl or be), `updates` updates and a cover image."""
    first_id = (db.session.scalar(select(func.max(Appeal.id))) or 0) + 1
    line_id = (db.session.scalar(select(func.max(BudgetLine.id))) or 0) + 1
    image_id = (db.session.scalar(select(func.max(PublicImage.id))) or 0) + 1
    now = utcnow().replace(microsecond=0)
    rows: dict[type, list[dict[str, Any]]] = {}

    def add(model: type, **row: Any) -> None:
        rows.setdefault(model, []).append(row)

    ids = []
    for n in range(count):
        appeal_id = first_id + n
        ids.append(appeal_id)
        second = "pl" if n % 2 else "be"
        fallback = second if n % 4 == 3 else "en"
        texts = []
        for language in ("en", second):
            title = f"Appeal {appeal_id} {word} {language}"
            summary = f"Summary of appeal {appeal_id} in {language}"
            texts += [title, summary]
            add(
                AppealTranslation,
                appeal_id=appeal_id,
                language=language,
                title=title,
                summary=summary,
                story_markdown=f"Story {appeal_id} {language}\n\nMore text.",
                display_name=f"Friend {n}",
            )
        amounts = [(k + 1) * 10_000 for k in range(lines)]
        goal = sum(amounts)
        # Funding in quarters: 0, 25, 50, 75, 100 % (equal keys across appeals).
        quarter = n % 5
        raised = goal * quarter // 4
        for priority, amount in enumerate(amounts, start=1):
            add(
                BudgetLine,
                id=line_id,
                appeal_id=appeal_id,
                amount_minor=amount,
                priority=priority,
                essential=priority == 1,
                funded_minor=amount * quarter // 4,
                spent_minor=amount * quarter // 8,
            )
            for language in ("en", second):
                label = f"Line {priority} {language}"
                texts.append(label)
                add(
                    BudgetLineLabel,
                    budget_line_id=line_id,
                    language=language,
                    label=label,
                    description=f"Why line {priority} ({language})",
                )
            line_id += 1
        add(
            PublicImage,
            id=image_id,
            appeal_id=appeal_id,
            purpose="cover",
            content=b"\xff\xd8\xff\xd9",
            width=1,
            height=1,
            approved_at=now,  # public: approved with its appeal
        )
        cover_id = image_id
        image_id += 1
        published = now - timedelta(hours=n // 2)  # two appeals share each time
        for k in range(updates):
            add(
                AppealUpdate,
                appeal_id=appeal_id,
                public_id=new_public_slug(),
                language="en",
                title=f"Update {k} of {appeal_id}",
                body_markdown="News.",
                image_id=cover_id if k == 0 else None,
                state="published",
                posted_at=published + timedelta(minutes=k + 1),
            )
        add(
            Appeal,
            id=appeal_id,
            slug=new_public_slug(),
            organisation_id=template.organisation_id,
            beneficiary_id=template.beneficiary_id,
            story_version_id=template.story_version_id,
            status="funded" if quarter == 4 else "published",
            currency="PLN" if n % 2 else "EUR",
            fallback_language=fallback,
            country=COUNTRY_CYCLE[n % 3],
            categories=",".join(sorted({CATEGORY_CYCLE[n % 5], CATEGORY_CYCLE[(n + 2) % 5]})),
            deadline=None if n % 3 == 0 else date.today() + timedelta(days=10 * (n % 4)),
            update_interval_days=60,
            created_at=published,
            published_at=published,
            last_update_at=published + timedelta(minutes=updates) if updates else None,
            raised_minor=raised,
            goal_minor=goal,
            essential_minor=amounts[0],
            listed=True,
            listed_until=None,
        )
        add(AppealSearchDocument, appeal_id=appeal_id, document=search.document_for(texts))
    for model in (
        Appeal,
        AppealTranslation,
        BudgetLine,
        BudgetLineLabel,
        PublicImage,
        AppealUpdate,
        AppealSearchDocument,
    ):
        if rows.get(model):
            db.session.execute(insert(model), rows[model])
    public_changed()
    return ids


# The OpenAPI document as a validator ------------------------------------------------------

DOCUMENT_URI = "urn:ngo:api:openapi"


class ApiDocument:
    """Validates answers against the document: status documented, headers present, body
    valid (JSON Schema 2020-12) against the schema resolved from the document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def validator(self, pointer: str) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            {"$ref": f"{DOCUMENT_URI}#{pointer}"},
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )

    def validate_schema(self, name: str, instance: Any) -> None:
        self.validator(f"/components/schemas/{name}").validate(instance)

    def validate(self, response: Any, path: str) -> Any:
        """Check one test-client answer to GET `path` (a path template of the document)."""
        operation = self.document["paths"][path]["get"]
        status = str(response.status_code)
        assert status in operation["responses"], f"{status} not documented for {path}"
        spec = self._resolve(operation["responses"][status])
        for header, header_spec in spec.get("headers", {}).items():
            if header_spec.get("required"):
                assert header in response.headers, f"{header} missing from {status} {path}"
        content = spec.get("content")
        if not content:
            assert response.get_data() == b""
            return None
        assert response.mimetype == "application/json"
        body = response.get_json()
        pointer = f"/paths/{_escape(path)}/get/responses/{status}"
        if "$ref" in operation["responses"][status]:
            pointer = operation["responses"][status]["$ref"].removeprefix("#")
        self.validator(f"{pointer}/content/application~1json/schema").validate(body)
        return body


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


@pytest.fixture(scope="session")
def api_document() -> ApiDocument:
    return ApiDocument(openapi_document())


@pytest.fixture
def get(client, api_document):
    """GET a path and validate the answer against the document; returns (response, body)."""
    paths = {
        "/api/v1/openapi.json": "/api/v1/openapi.json",
        "/api/v1/appeals": "/api/v1/appeals",
    }

    def fetch(url: str, **kwargs: Any) -> tuple[Any, Any]:
        response = client.get(url, **kwargs)
        path = url.split("?", 1)[0]
        default = "/api/v1/appeals/{slug}" + ("/ledger" if path.endswith("/ledger") else "")
        template_path = paths.get(path, default)
        body = api_document.validate(response, template_path)
        return response, body

    return fetch


def walk(get, query: str, limit: int) -> list[dict[str, Any]]:
    """Every page of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in itertools.count():
        url = f"/api/v1/appeals?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response, body = get(url)
        assert response.status_code == 200, body
        items += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert len(body["data"]) == limit
    raise AssertionError("unreachable")
