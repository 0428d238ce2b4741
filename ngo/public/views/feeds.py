"""What machines read of the public site: the sitemap, robots.txt and the Atom feed of
appeals and their updates (on the public_appeals blueprint, beside the pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.campaigns.visibility import publicly_listed
from ngo.extensions import db
from ngo.forms import given
from ngo.http_cache import cacheable
from ngo.markdown import render_published_markdown
from ngo.public import browse
from ngo.public.browse import Card
from ngo.public.views.appeals import bp
from ngo.public.views.home import absolute_url, current_locale

FEED_SIZE = 50
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Staff pages and forms have nothing to index; readers' pages are all in the sitemap.
ROBOTS_DISALLOW = (
    "/staff/ /cases/ /admin/ /account /dashboard /login /password/ /invitation /two-factor/ "
    "/follow/ /language /choose-language /api/ "
    "/appeals/*/donate /appeals/*/follow /appeals/*/concern"
)


def _xml(root: ET.Element, mimetype: str) -> Response:
    return Response(ET.tostring(root, encoding="utf-8", xml_declaration=True), mimetype=mimetype)


def _rfc3339(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@bp.get("/sitemap.xml")
@cacheable()
def sitemap() -> Response:
    urlset = ET.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    pages: list[tuple[str, datetime | None]] = [
        (absolute_url("public.home"), None),
        (absolute_url(".appeal_list"), None),
    ]
    pages += [
        (absolute_url(".appeal", slug=slug), changed)
        for slug, changed in browse.listed_slugs_with_dates()
    ]
    for loc, changed in pages:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = loc
        if changed is not None:
            ET.SubElement(url, "lastmod").text = _rfc3339(changed)
    return _xml(urlset, "application/xml")


@bp.get("/robots.txt")
@cacheable()
def robots() -> Response:
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW.split()]
    lines += ["", f"Sitemap: {absolute_url('.sitemap')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


def listed_updates(limit: int) -> list[tuple[AppealUpdate, str]]:
    """The newest published updates that are not withdrawn, of listed appeals only (one
    query)."""
    rows = db.session.execute(
        select(AppealUpdate, Appeal.slug)
        .join(Appeal, Appeal.id == AppealUpdate.appeal_id)
        .where(publicly_listed(), AppealUpdate.shown_publicly())
        .order_by(AppealUpdate.posted_at.desc(), AppealUpdate.id.desc())
        .limit(limit)
    )
    return [(update, slug) for update, slug in rows]


@dataclass
class Entry:
    id: str
    title: str
    link: str
    language: str
    published: datetime
    text: str
    html: bool


def _appeal_entry(card: Card) -> Entry:
    link = absolute_url(".appeal", slug=card.slug)
    published = card.published_at or datetime(1970, 1, 1)
    return Entry(link, card.title, link, card.language, published, card.summary, False)


def _update_entry(update: AppealUpdate, slug: str) -> Entry:
    link = absolute_url(".appeal", slug=slug, _anchor=f"update-{update.public_id}")
    body = str(render_published_markdown(update.body_markdown))
    # Only published updates reach the feed, and publishing sets posted_at.
    posted_at = given(update.posted_at)
    return Entry(link, update.title, link, update.language, posted_at, body, True)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


@bp.get("/feeds/appeals.atom")
@cacheable()
def feed() -> Response:
    """Atom 1.0: the newest listed appeals and the newest updates, merged by date."""
    cards = browse.list_page(browse.Filters(), 1, current_locale(), per_page=FEED_SIZE).cards
    entries = [_appeal_entry(card) for card in cards]
    entries += [_update_entry(update, slug) for update, slug in listed_updates(FEED_SIZE)]
    entries.sort(key=lambda e: e.published, reverse=True)
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: current_locale()})
    self_url = absolute_url(".feed")
    _sub(root, "id", self_url)
    _sub(root, "title", _("Appeals"))
    _sub(root, "updated", _rfc3339(entries[0].published if entries else datetime(2000, 1, 1)))
    _sub(_sub(root, "author"), "name", _("ngo"))
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=absolute_url(".appeal_list"))
    for entry in entries:
        item = _sub(root, "entry", **{XML_LANG: entry.language})
        _sub(item, "id", entry.id)
        _sub(item, "title", entry.title)
        _sub(item, "link", rel="alternate", type="text/html", href=entry.link)
        _sub(item, "published", _rfc3339(entry.published))
        _sub(item, "updated", _rfc3339(entry.published))
        if entry.html:
            _sub(item, "content", entry.text, type="html")
        elif entry.text:
            _sub(item, "summary", entry.text, type="text")
    return _xml(root, "application/atom+xml")
