"""Staff appeal forms that fit the work: the title prefilled from the verified story,
categories as checkboxes, the page headed by the appeal's title and status, and money
written as the public pages write it."""

from __future__ import annotations

import re

from ngo.campaigns.models import Appeal, AppealStatus
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from ngo.money import Money, format_money, format_money_short
from tests import factories
from tests.conftest import login
from tests.helpers import page_text


def test_a_new_appeal_starts_with_the_verified_storys_title(client, alexander, staff):
    login(client, staff["caseworker"])
    page = client.get(f"/staff/appeals/new/{alexander.reference}").get_data(as_text=True)
    assert re.search(rf'name="title"[^>]*value="{re.escape(STORY_TITLE)}"', page)


def test_without_a_verified_story_the_title_is_left_to_write(client, organisation, staff):
    case = factories.BeneficiaryFactory(organisation=organisation)
    db.session.commit()
    login(client, staff["caseworker"])
    page = client.get(f"/staff/appeals/new/{case.reference}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="title"(?![^>]*value="[^"])', page)


def test_the_staff_appeal_page_is_headed_by_its_title_and_status(client, appeal, staff):
    login(client, staff["caseworker"])
    page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
    assert heading is not None
    assert STORY_TITLE in heading.group(1)
    assert "tag-appeal-draft" in heading.group(1) and "Draft" in heading.group(1)
    assert f"<title>{STORY_TITLE} · Draft" in page


def test_money_on_the_staff_page_is_written_as_on_the_public_page(client, appeal, staff):
    login(client, staff["caseworker"])
    page = page_text(client.get(f"/staff/appeals/{appeal.slug}"))
    goal = Money(440_000, "EUR")
    assert format_money_short(goal, "en") in page
    assert format_money(goal, "en") not in page


def test_categories_are_checkboxes_and_are_saved(client, appeal, staff):
    login(client, staff["caseworker"])
    page = client.get(f"/staff/appeals/{appeal.slug}").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*type="checkbox"[^>]*name="categories"|'
        r'<input[^>]*name="categories"[^>]*type="checkbox"',
        page,
    )
    assert not re.search(r'<select[^>]*name="categories"', page)
    saved = client.post(
        f"/staff/appeals/{appeal.slug}/details",
        data={
            "categories": ["families", "relocation"],
            "update_interval_days": "60",
            "country": "",
        },
    )
    assert saved.status_code == 302, page_text(saved)[:1000]
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).categories.split(",") == ["families", "relocation"]


def test_an_unknown_category_is_refused_at_its_field_and_nothing_is_saved(client, appeal, staff):
    login(client, staff["caseworker"])
    refused = client.post(
        f"/staff/appeals/{appeal.slug}/details",
        data={"categories": ["families", "pirates"], "update_interval_days": "60", "country": ""},
    )
    assert refused.status_code == 400
    assert "Choose categories from the list." in page_text(refused)
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.categories == "" and stored.status == AppealStatus.DRAFT.value


def test_a_verifier_cannot_change_the_categories(client, appeal, staff):
    login(client, staff["verifier"])
    refused = client.post(
        f"/staff/appeals/{appeal.slug}/details",
        data={"categories": ["families"], "update_interval_days": "60", "country": ""},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).categories == ""
