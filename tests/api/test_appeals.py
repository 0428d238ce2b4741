"""The appeals endpoints: their shape (validated against the OpenAPI document), filters, sorts,
cursor pagination, strict refusals, caching, CORS, and a constant number of SQL statements."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from ngo.campaigns.models import Appeal
from ngo.demo import DEMO_ORGANISATION
from ngo.extensions import db
from ngo.public.browse import FULL, Sort
from tests.api.conftest import add_appeals, listed_appeals, walk

LIST = "/api/v1/appeals"


@pytest.fixture
def seeded(template) -> list[int]:
    """25 listed appeals."""
    return add_appeals(template, 25)


@pytest.fixture
def one_appeal(template) -> Appeal:
    (appeal_id,) = add_appeals(template, 1)
    return db.session.get(Appeal, appeal_id)


def _no_floats(node: Any) -> None:
    assert not isinstance(node, float), node
    if isinstance(node, dict):
        for value in node.values():
            _no_floats(value)
    elif isinstance(node, list):
        for value in node:
            _no_floats(value)


def _appeals() -> dict[str, Appeal]:
    return {a.slug: a for a in listed_appeals()}


# Shape ------------------------------------------------------------------------------------


def test_the_demo_appeal_in_full(get, client, demo_appeal):
    response, body = get(f"{LIST}/{demo_appeal.slug}")
    assert response.status_code == 200
    assert body["url"] == f"http://ngo.test/appeals/{demo_appeal.slug}"
    assert client.get(urlsplit(body["url"]).path).status_code == 200  # the public page
    assert (body["currency"], body["goal_minor"], body["raised_minor"]) == ("EUR", 440_000, 23_100)
    assert body["essential_minor"] == 380_000
    assert [line["amount_minor"] for line in body["budget_lines"]] == [
        210_000,
        100_000,
        70_000,
        60_000,
    ]
    assert [line["essential"] for line in body["budget_lines"]] == [True, True, True, False]
    assert body["budget_lines"][0]["label"] == "Rent for three months and deposit"
    assert body["categories"] == ["families", "political_prisoners", "relocation"]
    assert body["country"] == "PL"
    assert body["language"] == "en" and body["languages"] == ["en"]
    assert "Mogilev prison" in body["story_markdown"]
    verification = body["verification"]
    assert verification["organisation"] == DEMO_ORGANISATION
    assert verification["checks"] and verification["valid_until"]
    assert body["updates"] == []
    _no_floats(body)


def test_list_answers_summaries(get, seeded):
    response, body = get(f"{LIST}?limit=100")
    assert response.status_code == 200
    assert body["next_cursor"] is None
    assert len(body["data"]) == 25
    appeals = _appeals()
    for item in body["data"]:
        appeal = appeals[item["slug"]]
        assert (item["goal_minor"], item["raised_minor"], item["currency"]) == (
            appeal.goal_minor,
            appeal.raised_minor,
            appeal.currency,
        )
        assert item["url"] == f"http://ngo.test/appeals/{appeal.slug}"
    _no_floats(body)
    response, body = get(LIST)
    assert len(body["data"]) == 20 and body["next_cursor"]


def test_detail_with_updates_images_and_budget(get, template):
    (appeal_id,) = add_appeals(template, 1, lines=3, updates=2)
    appeal = db.session.get(Appeal, appeal_id)
    _, body = get(f"{LIST}/{appeal.slug}")
    assert body["verification"] is None  # no verified story behind these bulk appeals
    assert body["cover_image_url"].startswith("http://ngo.test/media/")
    assert [u["title"] for u in body["updates"]] == [
        f"Update 1 of {appeal_id}",
        f"Update 0 of {appeal_id}",
    ]
    assert body["updates"][1]["image_url"] == body["cover_image_url"]
    assert body["updates"][0]["image_url"] is None
    assert body["funded_minor"] == sum(line["funded_minor"] for line in body["budget_lines"])
    assert body["spent_minor"] == sum(line["spent_minor"] for line in body["budget_lines"])
    assert body["goal_minor"] == sum(line["amount_minor"] for line in body["budget_lines"])


def test_lang_chooses_the_translation(get, template):
    ids = add_appeals(template, 4)
    # The fourth has Polish as its own language, the others English.
    appeals = [db.session.get(Appeal, i) for i in ids]
    english, polish_own = appeals[1], appeals[3]
    assert polish_own.fallback_language == "pl"
    _, body = get(f"{LIST}/{english.slug}")
    assert body["language"] == "en" and body["title"].endswith(" en")
    assert body["languages"] == ["en", "pl"]
    _, body = get(f"{LIST}/{english.slug}?lang=pl")
    assert body["language"] == "pl" and body["title"].endswith(" pl")
    assert body["budget_lines"][0]["label"] == "Line 1 pl"
    _, body = get(f"{LIST}/{english.slug}?lang=uk")  # not written in Ukrainian
    assert body["language"] == "en"
    # Without `lang`, English before the appeal's own language (Polish here).
    _, body = get(f"{LIST}/{polish_own.slug}")
    assert body["language"] == "en" and body["budget_lines"][0]["label"] == "Line 1 en"
    _, body = get(f"{LIST}/{polish_own.slug}?lang=pl")
    assert body["language"] == "pl" and body["budget_lines"][0]["label"] == "Line 1 pl"
    _, body = get(f"{LIST}?lang=pl&limit=100")
    assert {item["language"] for item in body["data"]} == {"en", "pl"}
    by_slug = {item["slug"]: item for item in body["data"]}
    assert by_slug[english.slug]["language"] == "pl"


# Filters ----------------------------------------------------------------------------------


def _slugs(get, query: str) -> set[str]:
    return {item["slug"] for item in walk(get, query, 100)}


def test_filters(get, seeded):
    appeals = _appeals()

    def expect(predicate) -> set[str]:
        return {slug for slug, a in appeals.items() if predicate(a)}

    assert _slugs(get, "&category=families") == expect(lambda a: "families" in a.categories)
    assert _slugs(get, "&country=LT") == expect(lambda a: a.country == "LT")
    assert _slugs(get, "&language=pl") == expect(
        lambda a: "pl" in {t.language for t in a.translations}
    )
    assert _slugs(get, "&status=funded") == expect(lambda a: a.status == "funded")
    assert _slugs(get, "&status=funded")
    assert _slugs(get, "&band=funded") == expect(lambda a: a.raised_minor >= a.goal_minor)
    assert _slugs(get, "&band=25-50") == expect(
        lambda a: 2_500 <= a.raised_minor * FULL // a.goal_minor < 5_000
    )
    assert _slugs(get, "&band=0-25") == expect(
        lambda a: a.raised_minor * FULL // a.goal_minor < 2_500
    )
    assert _slugs(get, "&q=harbour") == set(appeals)
    one = next(a for a in appeals.values() if a.id == seeded[3])
    assert _slugs(get, f"&q=appeal%20{one.id}%20harbour") == {one.slug}
    assert _slugs(get, "&q=nothingmatches") == set()
    assert _slugs(get, "&category=legal&country=PL&status=published") == expect(
        lambda a: "legal" in a.categories and a.country == "PL" and a.status == "published"
    )


# Sorts and cursor pagination --------------------------------------------------------------


def _expected_order(appeals: list[Appeal], sort: Sort) -> list[str]:
    def permyriad(a: Appeal) -> int:
        return a.raised_minor * FULL // a.goal_minor if a.goal_minor else 0

    if sort == Sort.NEWEST:
        ordered = sorted(appeals, key=lambda a: (a.published_at, a.id), reverse=True)
    elif sort == Sort.DEADLINE:
        ordered = sorted(appeals, key=lambda a: (a.deadline or date(9999, 12, 31), a.id))
    elif sort == Sort.CLOSEST:
        ordered = sorted(appeals, key=lambda a: (permyriad(a), a.id), reverse=True)
    else:
        ordered = sorted(appeals, key=lambda a: (permyriad(a), a.id))
    return [a.slug for a in ordered]


@pytest.mark.parametrize("sort", list(Sort))
def test_cursor_walks_every_page_in_a_stable_order(get, seeded, sort):
    expected = _expected_order(list(_appeals().values()), sort)
    for limit in (1, 4, 7, 25, 100):
        slugs = [item["slug"] for item in walk(get, f"&sort={sort.value}", limit)]
        assert len(slugs) == len(set(slugs)) == 25, limit  # no duplicates, no gaps
        assert slugs == expected, limit


def test_cursor_with_filters(get, seeded):
    families = [a for a in _appeals().values() if "families" in a.categories]
    for sort in Sort:
        slugs = [item["slug"] for item in walk(get, f"&sort={sort.value}&category=families", 3)]
        assert slugs == _expected_order(families, sort), sort


def test_appeals_added_during_a_walk_neither_repeat_nor_hide_others(get, template, seeded):
    before = [a.slug for a in _appeals().values()]
    _, first = get(f"{LIST}?limit=5")
    add_appeals(template, 3)  # newer than every page already read
    seen = [item["slug"] for item in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        _, page = get(f"{LIST}?limit=5&cursor={cursor}")
        seen += [item["slug"] for item in page["data"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert set(seen) == set(before)


# Refusals: 4xx JSON with a message, never 500 ---------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refused(get, url: str, status: int = 400, field: str | None = None) -> dict:
    response, body = get(url)
    assert response.status_code == status, (url, body)
    assert response.mimetype == "application/json"
    assert body["error"]["status"] == status and body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return body


MALFORMED_CURSORS = (
    "random-text",
    "%00%01",
    _b64(b"\x00\xff garbage"),
    _b64(b"not json"),
    _b64(b'{"sort": "newest"}'),
    _b64(b'["newest", "yesterday", 5]'),
    _b64(b'["newest", "2026-01-01T00:00:00", "5"]'),
    _b64(b'["newest", "2026-01-01T00:00:00", true]'),
    _b64(b'["closest", 1e308, 5]'),
    # Well formed, but with numbers no database column can hold.
    _b64(json.dumps(["newest", "2026-01-01T00:00:00", 10**40]).encode()),
    _b64(json.dumps(["deadline", "2026-01-01", 2**63]).encode()),
    _b64(json.dumps(["closest", 10**40, 1]).encode()),
    _b64(json.dumps(["least_funded", -(2**63) - 1, 1]).encode()),
    "A" * 201,
    "A" * 5000,
)


def test_malformed_cursors_are_refused(get, seeded):
    for cursor in MALFORMED_CURSORS:
        for sort in Sort:
            _refused(get, f"{LIST}?sort={sort.value}&cursor={cursor}", field="cursor")


def test_a_cursor_from_another_sort_is_refused(get, seeded):
    for sort in Sort:
        _, body = get(f"{LIST}?limit=2&sort={sort.value}")
        cursor = body["next_cursor"]
        for other in Sort:
            if other != sort:
                _refused(get, f"{LIST}?limit=2&sort={other.value}&cursor={cursor}", field="cursor")


def test_limits_out_of_range_are_refused(get):
    for limit in ["0", "101", "abc", "-1", "1.5", "1e2", "9" * 30, "%205", "%EF%BC%95", "%C2%B2"]:
        _refused(get, f"{LIST}?limit={limit}", field="limit")


REFUSED = (
    ("page=2", "page"),
    ("LIMIT=5", "LIMIT"),
    ("limit=5&limit=6", "limit"),
    ("q=", "q"),
    ("sort=", "sort"),
    ("q=" + "x" * 201, "q"),
    ("q=%21%21%21", "q"),
    ("category=pirates", "category"),
    ("category=" + "y" * 5000, "category"),
    ("category=%20medical", "category"),
    ("country=pl", "country"),
    ("country=XX", "country"),
    ("language=de", "language"),
    ("status=draft", "status"),
    ("band=99-100", "band"),
    ("sort=random", "sort"),
    ("lang=de", "lang"),
    ("lang=" + "e" * 300, "lang"),
)


def test_unknown_parameters_and_values_are_refused(get):
    for query, field in REFUSED:
        _refused(get, f"{LIST}?{query}", field=field)


def test_an_overlong_parameter_name_is_cut_in_the_answer(get):
    body = _refused(get, f"{LIST}?{'p' * 5000}=1")
    assert body["error"]["field"] == "p" * 60


def test_detail_refusals(get, one_appeal):
    _refused(get, f"{LIST}/{one_appeal.slug}?lang=de", field="lang")
    _refused(get, f"{LIST}/{one_appeal.slug}?limit=5", field="limit")
    _refused(get, f"{LIST}/nosuchappeal", status=404)
    _refused(get, f"{LIST}/{'a' * 300}", status=404)
    _refused(get, f"{LIST}/%D0%B0%D0%B1", status=404)
    _refused(get, f"{LIST}/{one_appeal.slug.upper()}", status=404)
    _refused(get, "/api/v1/openapi.json?x=1", field="x")


def test_other_methods_are_not_allowed(client):
    response = client.post(LIST)
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405


# Caching and CORS -------------------------------------------------------------------------


def test_etag_and_304(get, one_appeal):
    for url in [f"{LIST}?limit=3", f"{LIST}/{one_appeal.slug}", "/api/v1/openapi.json"]:
        _etag_and_304(get, url)


def _etag_and_304(get, url: str) -> None:
    response, _ = get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=10"
    etag = response.headers["ETag"]
    again, body = get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and body is None
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other, _ = get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_the_etag_changes_with_the_data(get, one_appeal):
    response, _ = get(f"{LIST}/{one_appeal.slug}")
    one_appeal.raised_minor = 50_000
    db.session.commit()
    changed, body = get(
        f"{LIST}/{one_appeal.slug}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert changed.status_code == 200 and body["raised_minor"] == 50_000


def test_cors_allows_any_site_to_read_without_credentials(client, one_appeal):
    response = client.get(LIST, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        f"{LIST}/{one_appeal.slug}",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
