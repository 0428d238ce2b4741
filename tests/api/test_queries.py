"""The API issues a fixed number of SQL statements per answer, whatever the number of appeals,
budget lines, translations and updates."""

from __future__ import annotations

from ngo.campaigns.models import Appeal
from ngo.extensions import db
from tests.api.conftest import add_appeals, counted_statements, public_changed

LIST = "/api/v1/appeals"


def _count(client, url: str) -> int:
    with counted_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_the_list_costs_the_same_for_2_and_25_appeals(client, template):
    add_appeals(template, 2, lines=4, updates=3)
    few = _count(client, f"{LIST}?limit=100")
    add_appeals(template, 23, lines=4, updates=3)
    many = _count(client, f"{LIST}?limit=100")
    assert len(client.get(f"{LIST}?limit=100").get_json()["data"]) == 25
    print(f"list: {few} statements for 2 appeals, {many} for 25")
    assert few == many <= 7, (few, many)


def test_the_detail_costs_the_same_for_few_and_many_lines_and_updates(client, demo_template):
    # With the demo's verified story, so the verification badge is read too.
    (small,) = add_appeals(demo_template, 1, lines=2, updates=2)
    (large,) = add_appeals(demo_template, 1, lines=25, updates=25)
    db.session.execute(
        Appeal.__table__.update().where(Appeal.id.not_in([small, large])).values(listed=False)
    )
    public_changed()
    small_slug = db.session.get(Appeal, small).slug
    large_slug = db.session.get(Appeal, large).slug
    few = _count(client, f"{LIST}/{small_slug}")
    many = _count(client, f"{LIST}/{large_slug}")
    body = client.get(f"{LIST}/{large_slug}").get_json()
    assert len(body["budget_lines"]) == 25 and len(body["updates"]) == 25
    assert body["verification"] is not None
    print(f"detail: {few} statements for 2 lines and updates, {many} for 25")
    assert few == many <= 12, (few, many)
    assert _count(client, f"{LIST}?limit=100") <= 7
