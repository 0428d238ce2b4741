"""The public read-only JSON API under /api/v1, described by /api/v1/openapi.json.

Strict on input: an unknown, repeated or empty query parameter, or a value outside what the
document lists, is a 400 naming the parameter, never a silently different answer. Every GET
shares the public rate limit and carries an ETag and Cache-Control (`cacheable`); any site may
read the answers (public data, no credentials).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded

from ngo.api import serialize
from ngo.api.openapi import (
    API_PREFIX,
    BAND_VALUES,
    CATEGORY_VALUES,
    COUNTRY_CODES,
    LANGUAGE_CODES,
    SORT_VALUES,
    STATUS_VALUES,
    openapi_document,
)
from ngo.errors import MESSAGES
from ngo.extensions import limiter
from ngo.http_cache import cacheable
from ngo.public import browse
from ngo.public.browse import BrowseError

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

LIST_PARAMETERS = frozenset({*browse.FILTER_NAMES, "cursor", "limit", "lang"})
DETAIL_PARAMETERS = frozenset({"lang"})
# The exact values the document lists; the browse layer alone would also accept padded or
# lower-case spellings, which a strict API refuses so that one URL means one thing.
CHOICES: dict[str, tuple[frozenset[str], object]] = {
    "category": (frozenset(CATEGORY_VALUES), _l("Unknown category.")),
    "country": (
        frozenset(COUNTRY_CODES),
        _l("Unknown country code; use two letters such as PL."),
    ),
    "language": (frozenset(LANGUAGE_CODES), _l("Unknown language.")),
    "lang": (frozenset(LANGUAGE_CODES), _l("Unknown language.")),
    "status": (frozenset(STATUS_VALUES), _l("Unknown status.")),
    "band": (frozenset(BAND_VALUES), _l("Unknown funding band.")),
    "sort": (frozenset(SORT_VALUES), _l("Unknown sort order.")),
}
# A refused parameter's name is echoed in `field`; a long one is cut.
MAX_FIELD_LENGTH = 60
# What SQLite (and PostgreSQL's bigint) can compare: a cursor holding a larger number is forged.


def strict_args(allowed: frozenset[str]) -> dict[str, str]:
    """The query parameters, each known, given once, not empty, and one of the listed values
    where the document lists them."""
    args = request.args
    for name in args:
        if name not in allowed:
            raise BrowseError(_l("This parameter is not known."), name[:MAX_FIELD_LENGTH])
        values = args.getlist(name)
        if len(values) > 1:
            raise BrowseError(_l("Send this parameter only once."), name)
        if values[0] == "":
            raise BrowseError(_l("Leave this parameter out rather than sending it empty."), name)
    single = args.to_dict()
    for name, (known, message) in CHOICES.items():
        if name in single and single[name] not in known:
            raise BrowseError(message, name)
    return single


def _error(status: int, message: object, field: str | None = None) -> Response:
    body: dict[str, object] = {"status": status, "message": str(message)}
    if field is not None:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    return response


@bp.errorhandler(BrowseError)
def refused(error: BrowseError) -> Response:
    return _error(400, error.message, error.field)


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> Response:
    response = _error(429, MESSAGES[429][1])
    current = limiter.current_limit
    if current is not None:
        seconds = int(current.reset_at - time.time())
    else:
        seconds = int(error.limit.limit.get_expiry())
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


@bp.after_request
def allow_any_origin(response: Response) -> Response:
    """Public, read-only data: any web page may read it, and no credentials are involved."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _lang(args: Mapping[str, str]) -> str | None:
    return args.get("lang") or None


@bp.get("/appeals")
@cacheable()
def appeal_list() -> Response:
    args = strict_args(LIST_PARAMETERS)
    filters = browse.parse_filters(args)
    limit = browse.parse_positive_int(
        args.get("limit"), "limit", default=browse.PAGE_SIZE, maximum=browse.MAX_LIMIT
    )
    cursor = args.get("cursor")
    appeals, next_cursor = browse.cursor_page(filters, cursor, limit)
    covers = browse.cover_tokens([a.id for a in appeals])
    lang = _lang(args)
    return jsonify(
        {
            "data": [serialize.summary(a, lang, covers.get(a.id)) for a in appeals],
            "next_cursor": next_cursor,
        }
    )


@bp.get("/appeals/<slug>")
@cacheable()
def appeal_detail(slug: str) -> Response:
    args = strict_args(DETAIL_PARAMETERS)
    lang = _lang(args)
    try:
        public = browse.public_appeal(slug, lang or "")
    except browse.AppealGoneError:
        # Neutral: the answer never says why (consent withdrawn, verification expired...).
        abort(410)
    except LookupError:
        abort(404)
    return jsonify(
        serialize.detail(
            public.appeal,
            lang,
            cover_token=public.card.cover_token,
            badge=public.badge,
            updates=public.updates,
        )
    )


@bp.get("/openapi.json")
@cacheable()
def openapi_json() -> Response:
    strict_args(frozenset())
    return jsonify(openapi_document())
