"""GET /api/v1/appeals/<slug>/ledger: the public ledger as JSON, validated against the OpenAPI
document; cursor pagination; the listing check; nothing personal."""

from __future__ import annotations

import json

import pytest

from ngo.campaigns.models import Appeal
from ngo.donations import ledger
from ngo.donations.confirmation import confirm_donation, reverse_donation
from ngo.donations.display_names import set_display_name
from ngo.extensions import db
from tests import factories
from tests.donations.conftest import appeal, give, staff
from tests.donations.test_confirmation import lines_of
from tests.donations.test_public_ledger import pay

__all__ = ["appeal", "give", "staff"]  # fixtures used by name


@pytest.fixture
def moved(appeal, give, staff):
    gifts = [give(1_000 + n * 100) for n in range(5)]
    named = factories.DonationFactory(appeal=appeal, amount_minor=7_000)
    set_display_name(named, "Maria")
    confirm_donation(named)
    reverse_donation(gifts[0], 500, kind="refund")
    pay(appeal, lines_of(appeal)[1], staff["treasurer"], amount=2_000)
    ledger.LEDGER_LOG.write_checkpoint()
    db.session.commit()
    return [*gifts, named]


def url(appeal, query=""):
    return f"/api/v1/appeals/{appeal.slug}/ledger{query}"


def test_the_ledger_as_json(get, appeal, moved):
    response, body = get(url(appeal))
    assert response.status_code == 200
    assert body["slug"] == appeal.slug and body["currency"] == "EUR"
    kinds = [entry["kind"] for entry in body["data"]]
    assert kinds.count("donation") == 6 and "refund" in kinds and "disbursement" in kinds
    donors = {entry["donor"] for entry in body["data"] if entry["kind"] == "donation"}
    assert donors == {None, "Maria"}
    hashes = {e["receipt_code_hash"] for e in body["data"] if e["kind"] == "donation"}
    assert {g.receipt_code_hash for g in moved} == hashes
    paid = next(e for e in body["data"] if e["kind"] == "disbursement")
    assert paid["description"] == "Rent for March" and paid["amount_minor"] == 2_000
    assert paid["budget_lines"] == ["Rent for three months and deposit"]
    assert body["checkpoint"]["head_hash"] and body["checkpoint"]["line"].startswith("ngo-")
    text = json.dumps(body)
    for private in ("Anna Kowalska", "@example.org", "Nowak", "Lipowa", 'receipt_code"'):
        assert private not in text, private
    assert all(g.receipt_code not in text for g in moved)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers.get("ETag")


def test_the_cursor_walks_every_entry_once(get, appeal, moved):
    seen, cursor = [], None
    for _ in range(20):
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        response, body = get(url(appeal, query))
        assert response.status_code == 200
        seen += [entry["seq"] for entry in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    _, whole = get(url(appeal, "?limit=100"))
    assert seen == [entry["seq"] for entry in whole["data"]]
    assert len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?cursor=nonsense", "cursor"),
        ("?cursor=W10", "cursor"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=1.5", "limit"),
        ("?sort=newest", "sort"),
        ("?limit=2&limit=3", "limit"),
    ],
)
def test_bad_parameters_are_refused(get, appeal, moved, query, field):
    response, body = get(url(appeal, query))
    assert response.status_code == 400
    assert body["error"]["field"] == field


def test_unknown_and_unlisted_appeals(get, appeal, moved):
    response, _ = get("/api/v1/appeals/nosuch/ledger")
    assert response.status_code == 404
    db.session.get(Appeal, appeal.id).listed = False
    db.session.commit()
    response, _ = get(url(appeal))
    assert response.status_code == 410
