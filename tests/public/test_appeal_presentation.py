"""What cards and the appeal page show to move a donor, and only what is public: the person's
consented public name and the summary, the cover or a placeholder, the count of confirmed
gifts and the last update, a call to give, who runs the appeal, share links without any
third-party script, and link previews (Open Graph) with an absolute image address."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from ngo.campaigns import services
from ngo.campaigns.models import Appeal, PublicImage
from ngo.cases import consent
from ngo.cases.models import Beneficiary, Consent
from ngo.donations import ledger
from ngo.donations.confirmation import confirm_donation, reverse_donation
from ngo.donations.display_names import set_display_name
from ngo.extensions import db
from ngo.public.sharing import share_links
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.appeal_fixtures import PRIVATE_VALUES, alexander, draft_appeal, publish, staff
from tests.campaigns.conftest import consent_to_photo
from tests.campaigns.test_public_site import png

__all__ = ["alexander", "staff"]  # fixtures used by name

SUMMARY = "Rent, clothes and food for the first months, until he may work again."
DONOR_DISPLAY_NAME = "Marta from Kraków"
DONOR_NAME = "Marta Nowak"


@pytest.fixture
def appeal(alexander, staff) -> Appeal:
    """The seed person's appeal as a caseworker drafts it (no display name typed in), with a
    summary, published through the real gate."""
    drafted = draft_appeal(alexander, staff)
    english = next(t for t in drafted.translations if t.language == "en")
    services.set_translation(
        drafted,
        "en",
        title=english.title,
        summary=SUMMARY,
        story_markdown=english.story_markdown,
        display_name=english.display_name,
        actor=staff["caseworker"],
    )
    return publish(drafted, staff)


def give(appeal: Appeal, amount_minor: int = 5_000, display_name: str | None = None):
    donation = factories.DonationFactory(appeal=appeal, amount_minor=amount_minor)
    db.session.flush()
    if display_name:
        set_display_name(donation, display_name, donor_email="marta.donor@example.org")
    assert confirm_donation(donation)
    db.session.flush()
    return donation


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def card_of(page: str, slug: str) -> str:
    cards = re.findall(r'<article class="appeal-card".*?</article>', page, re.S)
    (card,) = [c for c in cards if f'/appeals/{slug}"' in c]
    return card


# The public name, at its source ------------------------------------------------------------


def test_a_new_appeal_is_shown_under_the_consented_public_name(appeal, client):
    english = next(t for t in appeal.translations if t.language == "en")
    assert english.display_name == "Alexander"
    answer = client.get(f"/api/v1/appeals/{appeal.slug}").get_json()
    assert answer["display_name"] == "Alexander"
    listed = client.get("/api/v1/appeals").get_json()["data"]
    assert [a["display_name"] for a in listed] == ["Alexander"]


def test_without_consent_to_a_public_name_a_new_appeal_names_nobody(alexander, staff):
    name_consent = db.session.scalars(
        select(Consent).where(
            Consent.beneficiary_id == alexander.id,
            Consent.item == "public_name",
            Consent.audience == "public_page",
        )
    ).one()
    consent.withdraw_consent(name_consent, actor=staff["caseworker"])
    drafted = draft_appeal(alexander, staff)
    assert {t.language: t.display_name for t in drafted.translations} == {"en": "", "pl": ""}


# Cards -------------------------------------------------------------------------------------


def test_a_card_names_the_person_says_what_is_needed_and_asks_to_give(appeal, client):
    give(appeal)
    give(appeal, 2_000)
    appeal.last_update_at = utcnow() - timedelta(days=2)
    db.session.commit()
    card = card_of(page_of(client, "/appeals"), appeal.slug)
    assert '<p class="card-name">Alexander</p>' in card
    assert SUMMARY in card
    assert "2 donations" in card
    assert "Last update" in card
    assert f'href="/appeals/{appeal.slug}/donate"' in card
    # No cover photo: the placeholder, which repeats nothing the title does not say.
    assert 'src="/static/img/appeal-placeholder.svg" alt=""' in card
    home_card = card_of(page_of(client, "/"), appeal.slug)
    assert "Alexander" in home_card and "2 donations" in home_card


def test_a_card_shows_the_approved_cover(appeal, client, staff):
    token = _add_cover(appeal, staff)
    card = card_of(page_of(client, "/appeals"), appeal.slug)
    assert f'src="/media/{token}"' in card
    assert "appeal-placeholder" not in card


def test_one_donation_is_counted_in_the_singular(appeal, client):
    give(appeal)
    db.session.commit()
    assert "1 donation<" in card_of(page_of(client, "/appeals"), appeal.slug)


# The count of confirmed gifts --------------------------------------------------------------


def test_the_count_follows_confirmations_refunds_and_chargebacks(appeal, client):
    _kept, refunded_in_part, refunded, disputed = (give(appeal) for _ in range(4))
    assert db.session.get(Appeal, appeal.id).donations_count == 4
    reverse_donation(refunded_in_part, 1_000, kind="refund")
    reverse_donation(refunded, refunded.amount_minor, kind="refund")
    reverse_donation(disputed, 2_000, kind="chargeback")
    db.session.commit()
    assert db.session.get(Appeal, appeal.id).donations_count == 2
    assert ledger.verify().counter_differences == []
    answer = client.get(f"/api/v1/appeals/{appeal.slug}").get_json()
    assert answer["donations_count"] == 2
    assert client.get("/api/v1/appeals").get_json()["data"][0]["donations_count"] == 2
    assert "2 donations" in page_of(client, f"/appeals/{appeal.slug}")


def test_the_ledger_check_finds_a_count_that_drifted(appeal):
    give(appeal)
    db.session.execute(update(Appeal).where(Appeal.id == appeal.id).values(donations_count=5))
    differences = ledger.verify().counter_differences
    assert differences == [f"appeal {appeal.id}: 5 confirmed gifts counted, 1 confirmed"]


# The appeal page ---------------------------------------------------------------------------


def test_the_page_puts_the_call_to_give_beside_the_story(appeal, client):
    give(appeal)
    appeal.last_update_at = utcnow() - timedelta(days=3)
    db.session.commit()
    page = page_of(client, f"/appeals/{appeal.slug}")
    aside = re.search(r'<aside class="appeal-aside".*?</aside>', page, re.S)
    assert aside is not None
    panel = aside.group(0)
    assert f'href="/appeals/{appeal.slug}/donate"' in panel
    assert "1 donation<" in panel and "Last update" in panel
    # The panel comes before the story: the first thing under the photo on a phone.
    assert page.index('class="appeal-aside"') < page.index('id="story-heading"')
    assert '<p class="appeal-name">Alexander</p>' in page
    # Who runs it, linked to their public page.
    assert re.search(r'Run by <a href="/organisations/[^"]+">', page)


def test_nothing_private_reaches_cards_or_the_page(appeal, client):
    give(appeal, display_name=DONOR_DISPLAY_NAME)
    db.session.commit()
    pages = [
        page_of(client, "/appeals"),
        page_of(client, "/"),
        page_of(client, f"/appeals/{appeal.slug}"),
        client.get("/api/v1/appeals").get_data(as_text=True),
    ]
    person = db.session.get_one(Beneficiary, appeal.beneficiary_id)
    private = (*PRIVATE_VALUES, person.city_of_residence or "Białystok", DONOR_NAME, "Volha")
    for page in pages:
        for value in private:
            assert value not in page, value
        # A donor's chosen name belongs to the public ledger, never to the appeal's face.
        assert DONOR_DISPLAY_NAME not in page


# Sharing ----------------------------------------------------------------------------------


def _links(page: str) -> dict[str, str]:
    return {
        key: unescape(href)
        for key, href in re.findall(r'<a class="share-(\w+)" href="([^"]+)"', page)
    }


def test_share_links_carry_the_encoded_address_and_no_tracker(appeal, client, app):
    page = page_of(client, f"/appeals/{appeal.slug}")
    address = f"{app.config['NGO_BASE_URL']}/appeals/{appeal.slug}"
    links = _links(page)
    assert set(links) == {"email", "facebook", "x", "telegram", "whatsapp", "linkedin"}
    expected_hosts = {
        "facebook": "www.facebook.com",
        "x": "x.com",
        "telegram": "t.me",
        "whatsapp": "wa.me",
        "linkedin": "www.linkedin.com",
    }
    title = next(t.title for t in appeal.translations if t.language == "en")
    for key, host in expected_hosts.items():
        parts = urlsplit(links[key])
        assert (parts.scheme, parts.netloc) == ("https", host), key
        query = parse_qs(parts.query)
        assert address in " ".join(v for values in query.values() for v in values), key
        assert not any(name.startswith("utm_") for name in query), key
    assert parse_qs(urlsplit(links["x"]).query)["text"] == [title]
    mail = urlsplit(links["email"])
    assert mail.scheme == "mailto"
    assert parse_qs(mail.query)["subject"] == [title]
    assert parse_qs(mail.query)["body"][0].endswith(address)
    # The address for copying works without JavaScript: a selectable field.
    assert f'id="share-url" value="{address}" readonly' in page


def test_share_links_encode_every_reserved_character():
    url = "https://ngo.example/appeals/abc?lang=pl"
    (mail, facebook, x, *_rest) = share_links(url, "Rent & food: 100% #help", "E-mail", "Read")
    assert facebook.href == (
        "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fngo.example%2Fappeals%2Fabc"
        "%3Flang%3Dpl"
    )
    assert "text=Rent%20%26%20food%3A%20100%25%20%23help" in x.href
    assert mail.href.startswith("mailto:?subject=Rent%20%26%20food")
    assert "%0A%0Ahttps%3A%2F%2Fngo.example" in mail.href


def test_no_third_party_script_and_the_page_works_without_one(appeal, client):
    page = page_of(client, f"/appeals/{appeal.slug}")
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/js/share.js" defer>']
    # The copy button needs the script: hidden until it runs, the field is there without it.
    assert re.search(r'<button type="button" hidden data-copied="[^"]+">Copy link</button>', page)
    assert client.get("/static/js/share.js").status_code == 200
    assert (
        "script-src 'self'"
        in client.get(f"/appeals/{appeal.slug}").headers["Content-Security-Policy"]
    )


# Link previews ----------------------------------------------------------------------------


def _meta(page: str) -> dict[str, str]:
    return {
        name: unescape(content)
        for name, content in re.findall(
            r'<meta (?:property|name)="((?:og|twitter):[\w:]+)" content="([^"]*)">', page
        )
    }


def test_the_cover_is_the_preview_image_with_its_size(appeal, client, app, staff):
    token = _add_cover(appeal, staff)
    meta = _meta(page_of(client, f"/appeals/{appeal.slug}"))
    assert meta["og:image"] == f"{app.config['NGO_BASE_URL']}/media/{token}"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("8", "6")
    assert meta["og:image:alt"] == "A packed suitcase by a door"
    assert meta["twitter:image"] == meta["og:image"]
    assert client.get(f"/media/{token}").status_code == 200


def test_without_a_cover_the_preview_shows_the_sites_image(appeal, client, app):
    meta = _meta(page_of(client, f"/appeals/{appeal.slug}"))
    assert meta["og:image"] == f"{app.config['NGO_BASE_URL']}/static/img/og-default.png"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["twitter:card"] == "summary_large_image"
    assert client.get("/static/img/og-default.png").status_code == 200


def _add_cover(appeal: Appeal, staff: dict) -> str:
    """An approved cover: the person consents to a photo, and the appeal is published again
    with it (the cover is part of what the approval covers)."""
    consent_to_photo(db.session.get(Beneficiary, appeal.beneficiary_id), staff["caseworker"])
    image = PublicImage(
        appeal_id=appeal.id,
        purpose="cover",
        content=png(),
        content_type="image/png",
        width=8,
        height=6,
        alt_text="A packed suitcase by a door",
        approved_at=utcnow(),
    )
    db.session.add(image)
    db.session.commit()
    assert db.session.get(Appeal, appeal.id).listed
    return image.token
