"""The public site of appeals: the list with its filters, one appeal and its images (what
machines read, on the same blueprint, is in feeds.py).

Pages are built from the public tables through `public.browse` (the feed's updates and the
list's countries with one query each here, under the same `publicly_listed` clause); nothing
joins a case's personal fields. The pages set no cookie and hold no form token, so shared
caches may keep them: `cacheable` adds the per-client rate limit, the ETag and Cache-Control.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from werkzeug.wrappers import Response

from ngo.campaigns.labels import (
    ALLOCATION_RULE_PUBLIC,
    CATEGORY_LABELS,
    OVERFUNDING_POLICY_PUBLIC,
)
from ngo.campaigns.labels import VERIFICATION_CHECK_LABELS as CHECK_LABELS
from ngo.campaigns.models import (
    AllocationRule,
    Appeal,
    AppealStatus,
    AppealUpdate,
    Category,
    OverfundingPolicy,
    PublicImage,
)
from ngo.campaigns.visibility import publicly_listed
from ngo.config import LANGUAGES
from ngo.donations.public_spending import PublicSpending, public_spending
from ngo.extensions import db
from ngo.http_cache import cacheable
from ngo.markdown import render_published_markdown, visible_text
from ngo.money import Money
from ngo.public import browse
from ngo.public.browse import AppealGoneError, Band, BrowseError, Sort
from ngo.public.sharing import share_links
from ngo.public.views.home import absolute_url, current_locale, refuse_long_query_string

bp = Blueprint("public_appeals", __name__)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})

STATUS_LABELS = {AppealStatus.PUBLISHED: _l("Open"), AppealStatus.FUNDED: _l("Funded")}
SORT_LABELS = {
    Sort.NEWEST: _l("Newest first"),
    Sort.DEADLINE: _l("Nearest deadline"),
    Sort.CLOSEST: _l("Closest to the goal"),
    Sort.LEAST_FUNDED: _l("Least funded"),
}
BAND_LABELS = {
    Band.UNDER_25: _l("%(low)s to %(high)s%% funded", low=0, high=25),
    Band.UNDER_50: _l("%(low)s to %(high)s%% funded", low=25, high=50),
    Band.UNDER_75: _l("%(low)s to %(high)s%% funded", low=50, high=75),
    Band.UNDER_100: _l("%(low)s to %(high)s%% funded", low=75, high=100),
    Band.FUNDED: _l("Fully funded"),
}


# Helpers shared by the public templates ---------------------------------------------------


@functools.lru_cache(maxsize=16)
def _countries(locale: str) -> dict[str, str]:
    return browse.country_names(locale)


def country_name(code: str | None) -> str:
    return _countries(current_locale()).get(code or "", code or "")


def _translated(labels: Mapping[Any, Any], default: Callable[[Any], str]) -> Callable[[Any], str]:
    """A label lookup for one render: each lazy label is translated the first time a card
    asks for it, not once per card."""
    done: dict[Any, str] = {}

    def label(key: Any) -> str:
        if key not in done:
            done[key] = str(labels[key]) if key in labels else default(key)
        return done[key]

    return label


@bp.app_context_processor
def _public_helpers() -> dict[str, object]:
    countries = _countries(current_locale())
    category_label = _translated(CATEGORY_LABELS, str)
    return {
        "category_label": category_label,
        "category_list": lambda categories: ", ".join(map(category_label, categories)),
        "public_status_label": _translated(STATUS_LABELS, lambda _: ""),
        "country_name": lambda code: countries.get(code or "", code or ""),
        # Published texts only: what the safety check read, rendered once per process.
        "render_published_markdown": render_published_markdown,
    }


# Every view here checks the length of the query string before reading it.
bp.before_request(refuse_long_query_string)


# The list ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _fixed_choices(locale: str) -> dict[str, list[tuple[str, str]]]:
    """The choices that only the language changes, translated once per language (`locale`
    is the current request's: the lazy labels translate into it)."""
    return {
        "category": [(c.value, str(CATEGORY_LABELS[c])) for c in Category],
        "language": list(LANGUAGES.items()),
        "status": [(s.value, str(STATUS_LABELS[s])) for s in browse.PUBLIC_STATUSES],
        "band": [(b.value, str(BAND_LABELS[b])) for b in Band],
        "sort": [(s.value, str(SORT_LABELS[s])) for s in Sort],
    }


def _filter_choices(filters: browse.Filters) -> dict[str, list[tuple[str, str]]]:
    countries = set(browse.listed_countries())
    if filters.country:
        countries.add(filters.country)
    return {
        **_fixed_choices(current_locale()),
        "country": sorted(((c, country_name(c)) for c in countries), key=lambda c: c[1]),
    }


def _list_without_refused(
    args: Mapping[str, str],
) -> tuple[browse.Filters, browse.Page, list[BrowseError]]:
    """The list the reader asked for, leaving out each parameter it cannot use (a status
    that is not public, a page past the last, an unknown sort or category...), with what
    was refused. Each refusal drops a parameter the address has, so this ends."""
    kept = {name: args[name] for name in args}
    refused: list[BrowseError] = []
    while True:
        try:
            filters = browse.parse_filters(kept)
            number = browse.parse_positive_int(
                kept.get("page"), "page", default=1, maximum=browse.MAX_PAGE
            )
            return filters, browse.list_page(filters, number, current_locale()), refused
        except BrowseError as error:
            if error.field not in kept:
                raise
            refused.append(error)
            del kept[error.field]


@bp.get("/appeals")
@cacheable()
def appeal_list() -> tuple[str, int]:
    """The list. A hand-edited address it cannot use is answered 400 (so that caches and
    search engines keep no page for it) with the list itself, without what was refused, a
    message saying what and a link to every appeal: a reader is never left on an error page
    for a filter the form would not have offered."""
    filters, page, refused = _list_without_refused(request.args)
    selected = filters.as_args()
    selected.setdefault("sort", Sort.NEWEST.value)
    page_html = render_template(
        "campaigns/appeal_list.html",
        filters=filters,
        args=filters.as_args(),
        selected=selected,
        page=page,
        choices=_filter_choices(filters),
        filtered=bool(set(filters.as_args()) - {"sort"}),
        refused=[error.message for error in refused],
    )
    return page_html, 400 if refused else 200


# One appeal -------------------------------------------------------------------------------


@dataclass
class LineRow:
    label: str
    description: str
    language: str
    essential: bool
    amount: Money
    funded: Money
    spent: Money
    # Approved payments out of the line: when, how much, and their public description.
    spending: list[PublicSpending] = field(default_factory=list)


def _line_rows(public: browse.PublicAppeal, language: str) -> list[LineRow]:
    """The budget in the text's language, essential lines first, then the stretch lines."""
    fallback, currency = public.appeal.fallback_language, public.appeal.currency
    # The counters say whether anything was paid out: most appeals' pages need no query for it.
    spending = {} if public.spent.is_zero else public_spending(public.appeal.id)
    rows = []
    for line in sorted(public.lines, key=lambda line: not line.essential):
        label, description = browse.line_text(line, language, fallback)
        written = next((lb.language for lb in line.labels if lb.label == label), fallback)
        amounts = (line.amount_minor, line.funded_minor, line.spent_minor)
        amount, funded, spent = (Money(amount, currency) for amount in amounts)
        rows.append(
            LineRow(
                label,
                description,
                written,
                line.essential,
                amount,
                funded,
                spent,
                spending.get(line.id, []),
            )
        )
    return rows


def giving_rules(appeal: Appeal | browse.PageAppeal) -> list[str]:
    """Where a gift goes, in plain words: the appeal's allocation rule and over-funding
    policy (approved with the rest of its public content)."""
    return [
        str(ALLOCATION_RULE_PUBLIC[AllocationRule(appeal.allocation_rule)]),
        str(OVERFUNDING_POLICY_PUBLIC[OverfundingPolicy(appeal.overfunding_policy)]),
    ]


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _load(slug: str, language: str) -> browse.PublicAppeal:
    try:
        return browse.public_appeal(slug, language)
    except AppealGoneError:
        # Gone, and nothing about why or whose: the page shows no title and no reason.
        abort(410)
    except LookupError:
        abort(404)


@dataclass(frozen=True)
class ShareImage:
    """The picture link previews show (og:image): the cover, else the site's own image."""

    url: str
    content_type: str
    width: int
    height: int
    alt: str


# The site's preview picture for an appeal without a cover (ngo/static/img/og-default.png):
# the size networks ask for (1.91:1), so that the preview is the large one either way.
DEFAULT_SHARE_IMAGE = ("img/og-default.png", "image/png", 1200, 630)


def _share_image(cover: browse.PublicCover | None) -> ShareImage:
    if cover is not None:
        return ShareImage(
            absolute_url("public_appeals.media", token=cover.token),
            cover.content_type,
            cover.width,
            cover.height,
            cover.alt_text or "",
        )
    filename, content_type, width, height = DEFAULT_SHARE_IMAGE
    return ShareImage(absolute_url("static", filename=filename), content_type, width, height, "")


@dataclass(frozen=True)
class AppealLinks:
    """The appeal page's addresses of itself: relative (`path`) and on the public address
    (`url`), and the same per language of its text. Built from one `url_for`: the page links
    to itself nine times, and each `url_for` cost as much as a database query."""

    path: str
    url: str
    by_language: dict[str, tuple[str, str]]

    def canonical(self, language: str | None) -> str:
        return self.by_language[language][1] if language else self.url


def _appeal_links(slug: str, languages: list[str]) -> AppealLinks:
    url = absolute_url("public_appeals.appeal", slug=slug)
    path = url_for("public_appeals.appeal", slug=slug)
    # Language codes are ours (LANGUAGES): letters only, nothing to quote.
    by_language = {code: (f"{path}?lang={code}", f"{url}?lang={code}") for code in languages}
    return AppealLinks(path, url, by_language)


@bp.get("/appeals/<slug>")
@cacheable()
def appeal(slug: str) -> str:
    """The appeal in the reader's language if written, else its fallback language; `?lang=`
    asks for the text in another of the languages it is written in."""
    requested = request.args.get("lang", "").strip()
    if requested and requested not in LANGUAGES:
        abort(400, description=_("Unknown language."))
    public = _load(slug, requested or current_locale())
    language = public.text.language if public.text else public.appeal.fallback_language
    rows = _line_rows(public, language)
    checks = public.badge.checks if public.badge else []
    text = public.text
    description = (text.summary or _shorten(visible_text(text.story_markdown))) if text else ""
    cover = public.cover
    title = text.title if text else ""
    lang_param = requested if requested in public.alternates else None
    links = _appeal_links(public.card.slug, public.alternates)
    # What readers share: the page's canonical address, with no tracking parameter.
    address = links.canonical(lang_param)
    return render_template(
        "campaigns/appeal_detail.html",
        public=public,
        card=public.card,
        text=public.text,
        language=language,
        lang_param=lang_param,
        links=links,
        essential_rows=[r for r in rows if r.essential],
        stretch_rows=[r for r in rows if not r.essential],
        cover=cover,
        share_image=_share_image(cover),
        share_links=share_links(
            address, title, _("E-mail"), description or _("An appeal you may want to read.")
        ),
        check_labels=[str(CHECK_LABELS.get(c, c)) for c in checks],
        description=description,
        giving_rules=giving_rules(public.appeal),
        organisation_name=public.badge.organisation if public.badge else "",
        organiser=public.organiser,
    )


@bp.get("/media/<token>")
@cacheable()
def media(token: str) -> Response:
    """A public image: approved (a pending one is sealed, and never served here), only while
    its appeal is listed, and, for an update's picture, while a published update shows it."""
    if not token or len(token) > 24 or not token.isascii():
        abort(404)
    shown_by_an_update = exists().where(
        AppealUpdate.image_id == PublicImage.id, AppealUpdate.shown_publicly()
    )
    image = db.session.execute(
        select(PublicImage.content, PublicImage.content_type)
        .join(Appeal, Appeal.id == PublicImage.appeal_id)
        .where(
            PublicImage.token == token,
            PublicImage.approved_at.is_not(None),
            PublicImage.content.is_not(None),
            publicly_listed(),
            or_(PublicImage.purpose == "cover", shown_by_an_update),
        )
    ).first()
    if image is None or image.content_type not in IMAGE_TYPES:
        abort(404)
    return Response(image.content, mimetype=image.content_type)
