"""Addresses a reader edited by hand: the list without what it cannot use, a message and a way
back (the API keeps its 400 JSON); a draft's address is not found (404), a withdrawn appeal's
gone (410); the language page sets no cookie until the reader chooses."""

from __future__ import annotations

import pytest

from ngo.campaigns.models import Appeal
from ngo.extensions import db
from ngo.i18n import LANGUAGE_COOKIE
from tests.campaigns.appeal_fixtures import alexander, draft_appeal, published, staff
from tests.campaigns.test_public_site import (
    add_appeal,
    get_text,
    listed_slugs,
    owner,
    withdraw_story_consent,
)

__all__ = ["alexander", "owner", "published", "staff"]  # fixtures used by name

SHOW_ALL = '<a href="/appeals">Show all appeals</a>'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=closed", "Unknown status."),
        ("status=draft", "Unknown status."),
        ("page=99", "There is no page 99 of this list."),
        ("page=abc", "Use a whole number from 1 to 1000."),
        ("sort=cheapest", "Unknown sort order."),
        ("category=pets", "Unknown category."),
        ("band=half", "Unknown funding band."),
        ("country=XX", "Unknown country code; use two letters such as PL."),
        ("language=xx", "Unknown language."),
    ],
)
def test_a_hand_edited_filter_gets_the_list_with_a_message(client, owner, query, message):
    slug = add_appeal(owner, "Rent for a family")
    page = get_text(client, f"/appeals?{query}", status=400)
    assert message in page
    assert SHOW_ALL in page
    assert listed_slugs(page) == [slug]  # the list without the refused parameter
    assert "Set-Cookie" not in client.get(f"/appeals?{query}").headers


def test_only_the_refused_parameters_are_left_out(client, owner):
    families = add_appeal(owner, "Rent for a family", categories="families")
    add_appeal(owner, "Medicine", categories="medical")
    page = get_text(client, "/appeals?category=families&status=closed&sort=nope", status=400)
    assert "Unknown status." in page and "Unknown sort order." in page
    assert listed_slugs(page) == [families]
    assert '<option value="families" selected>' in page


def test_a_page_past_the_last_of_a_search_shows_the_first(client, owner):
    slug = add_appeal(owner, "Rent for a family")
    page = get_text(client, "/appeals?q=rent&page=7", status=400)
    assert "There is no page 7 of this list." in page
    assert listed_slugs(page) == [slug]


def test_a_usable_address_has_no_message(client, owner):
    add_appeal(owner, "Rent for a family")
    page = get_text(client, "/appeals?status=published&sort=deadline")
    assert SHOW_ALL not in page and "refused-filters" not in page


def test_the_api_still_refuses_with_json(client, owner):
    add_appeal(owner, "Rent for a family")
    response = client.get("/api/v1/appeals?status=closed")
    assert response.status_code == 400
    assert response.is_json


def test_a_never_published_draft_is_not_found(client, alexander, staff):
    draft = draft_appeal(alexander, staff)
    db.session.commit()
    assert draft.published_at is None
    for path in (f"/appeals/{draft.slug}", f"/api/v1/appeals/{draft.slug}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/appeals/{draft.slug}/follow").status_code == 404


def test_a_withdrawn_appeal_is_gone(client, published: Appeal, staff):
    withdraw_story_consent(published, staff["caseworker"])
    assert not published.listed
    for path in (f"/appeals/{published.slug}", f"/api/v1/appeals/{published.slug}"):
        assert client.get(path).status_code == 410, path


def test_the_language_page_sets_no_cookie_until_the_reader_chooses(client):
    shown = client.get("/choose-language?next=/appeals")
    assert shown.status_code == 200
    assert "Set-Cookie" not in shown.headers
    page = shown.get_data(as_text=True)
    assert 'action="/choose-language"' in page and "csrf_token" not in page
    chosen = client.post("/choose-language", data={"language": "be", "next": "/appeals"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/appeals"
    cookies = chosen.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith(f"{LANGUAGE_COOKIE}=be;")
    assert 'lang="be"' in get_text(client, "/appeals")


def test_the_language_choice_refuses_other_sites_and_unknown_languages(client):
    data = {"language": "pl", "next": "/"}
    forged = client.post("/choose-language", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403 and "Set-Cookie" not in forged.headers
    old_browser = client.post(
        "/choose-language", data=data, headers={"Origin": "https://evil.example"}
    )
    assert old_browser.status_code == 403
    same = client.post("/choose-language", data=data, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 302
    unknown = client.post("/choose-language", data={"language": "xx"})
    assert unknown.status_code == 400 and "Set-Cookie" not in unknown.headers
    away = client.post("/choose-language", data={"language": "pl", "next": "//evil.example"})
    assert away.headers["Location"] == "/"


def test_a_signed_in_user_gets_the_accounts_form(client, make_user):
    from tests.conftest import login

    login(client, make_user("caseworker"))
    page = get_text(client, "/choose-language")
    assert 'action="/language"' in page
