"""What machines read: the Atom feed, the sitemap, robots.txt, and the public images. Only
listed appeals and their updates that are not withdrawn appear, from public tables only."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from ngo.campaigns.models import AppealUpdate, PublicImage
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.test_public_site import (
    add_appeal,
    cover_token,
    png,
    publish_seed,
    withdraw_story_consent,
)

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def seed(appeal, staff):
    return publish_seed(appeal, staff)


@pytest.fixture
def owner(organisation):
    person = factories.BeneficiaryFactory(organisation=organisation)
    # Committed before the rows written past the gate arrive: a commit in the same transaction
    # would recompute this new person's listings and take those appeals off the list.
    db.session.commit()
    return person


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314  (our own answer, in a test)


def feed(client, **kwargs) -> ET.Element:
    response = client.get("/feeds/appeals.atom", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return parse(response.get_data())


def entries(root: ET.Element) -> dict[str, ET.Element]:
    return {e.findtext(f"{ATOM}id"): e for e in root.findall(f"{ATOM}entry")}


def sitemap_urls(client) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = parse(response.get_data())
    return [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]


def test_feed_is_atom_with_appeals_and_updates(client, seed):
    root = feed(client)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://ngo.test/feeds/appeals.atom"
    assert root.findtext(f"{ATOM}title") and root.findtext(f"{ATOM}author/{ATOM}name")
    assert RFC3339.fullmatch(root.findtext(f"{ATOM}updated"))
    links = {link.get("rel"): link for link in root.findall(f"{ATOM}link")}
    assert links["self"].get("href") == "http://ngo.test/feeds/appeals.atom"
    assert links["alternate"].get("href") == "http://ngo.test/appeals"
    found = entries(root)
    appeal_url = f"http://ngo.test/appeals/{seed.slug}"
    assert found[appeal_url].findtext(f"{ATOM}title") == seed.translations[0].title
    (update_id,) = [i for i in found if i.startswith(appeal_url + "#update-")]
    update = found[update_id]
    assert update.findtext(f"{ATOM}title") == "The rent is paid for March"
    content = update.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>first month</strong>" in content.text
    for entry in found.values():
        assert entry.findtext(f"{ATOM}title")
        assert entry.find(f"{ATOM}link").get("rel") == "alternate"
        assert RFC3339.fullmatch(entry.findtext(f"{ATOM}updated"))
    # Newest first: the update (an hour old) after the appeal (published just now).
    assert list(found) == [appeal_url, update_id]


def test_feed_merges_by_date_and_leaves_out_what_is_not_public(client, seed, owner):
    older = add_appeal(owner, "Older rent", days_ago=10, updates=1)
    hidden = add_appeal(owner, "Hidden rent", updates=1, listed=False)
    update = db.session.scalars(select(AppealUpdate).where(AppealUpdate.appeal_id == seed.id)).one()
    update.withdrawn_at = utcnow()
    db.session.commit()
    found = list(entries(feed(client)))
    assert found[0] == f"http://ngo.test/appeals/{seed.slug}"
    assert not any("#update-" in i and seed.slug in i for i in found)
    assert not any(hidden in i for i in found)
    assert [i.split("#")[0] for i in found[1:]] == [f"http://ngo.test/appeals/{older}"] * 2
    dates = [e.findtext(f"{ATOM}updated") for e in feed(client).findall(f"{ATOM}entry")]
    assert dates == sorted(dates, reverse=True)


def test_feed_is_escaped_xml(client, owner):
    add_appeal(owner, 'Rent & <b>food</b> ]]> "quoted"', updates=1)
    titles = [e.findtext(f"{ATOM}title") for e in feed(client).findall(f"{ATOM}entry")]
    assert 'Rent & <b>food</b> ]]> "quoted"' in titles


def test_feed_and_sitemap_drop_an_appeal_whose_consent_was_withdrawn(client, seed, staff):
    assert f"http://ngo.test/appeals/{seed.slug}" in sitemap_urls(client)
    withdraw_story_consent(seed, staff["caseworker"])
    assert not [i for i in entries(feed(client)) if seed.slug in i]
    assert f"http://ngo.test/appeals/{seed.slug}" not in sitemap_urls(client)
    page = client.get("/feeds/appeals.atom").get_data(as_text=True)
    assert seed.translations[0].title not in page and "The rent is paid" not in page


def test_sitemap_lists_listed_appeals_only(client, seed, owner):
    listed = add_appeal(owner, "Listed rent")
    hidden = add_appeal(owner, "Hidden rent", listed=False)
    urls = sitemap_urls(client)
    assert urls[:2] == ["http://ngo.test/", "http://ngo.test/appeals"]
    assert set(urls[2:]) == {
        f"http://ngo.test/appeals/{seed.slug}",
        f"http://ngo.test/appeals/{listed}",
    }
    assert not [u for u in urls if hidden in u]
    root = parse(client.get("/sitemap.xml").get_data())
    assert all(RFC3339.fullmatch(m.text) for m in root.iter(f"{SITEMAP}lastmod"))


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for path in ("/staff/", "/cases/", "/admin/", "/account", "/login"):
        assert f"Disallow: {path}\n" in text
    assert "Disallow: /appeals\n" not in text and "Allow: /\n" in text
    assert "Sitemap: http://ngo.test/sitemap.xml" in text


def test_media_serves_images_of_listed_appeals_only(client, seed, staff):
    response = client.get(f"/media/{cover_token(seed)}")
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.get_data() == png()
    assert response.headers["Cache-Control"] == "public, max-age=10"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    update_image = db.session.scalar(
        select(PublicImage.token).where(
            PublicImage.appeal_id == seed.id, PublicImage.purpose == "update"
        )
    )
    assert client.get(f"/media/{update_image}").status_code == 200
    withdraw_story_consent(seed, staff["caseworker"])
    assert client.get(f"/media/{cover_token(seed)}").status_code == 404
    assert client.get(f"/media/{update_image}").status_code == 404


def test_media_of_a_withdrawn_update_is_gone(client, seed):
    update = db.session.scalars(select(AppealUpdate).where(AppealUpdate.appeal_id == seed.id)).one()
    token = update.image.token
    update.withdrawn_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/media/{token}").status_code == 404


@pytest.mark.parametrize(("token", "status"), [("nosuchtoken", 404), ("x" * 40, 404), ("%00", 400)])
def test_unknown_media_is_a_404(client, token, status):
    assert client.get(f"/media/{token}").status_code == status
