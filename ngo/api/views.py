"""The public read-only JSON API under /api/v1, described by /api/v1/openapi.json.

Strict on input: an unknown, repeated or empty query parameter, or a value the document does
not allow, is a 400 naming the parameter, never a silently different answer (the models of
schemas.py decide). Every GET shares the public rate limit and carries an ETag and
Cache-Control (`cacheable`); any site may read the answers (public data, no credentials).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from ngo.api import serialize
from ngo.api.openapi import openapi_document
from ngo.api.schemas import (
    API_PREFIX,
    MAX_QUERY_STRING,
    AppealList,
    AppealListQuery,
    AppealQuery,
    DocumentQuery,
    LedgerQuery,
    ParameterError,
    error,
    parse_query,
)
from ngo.campaigns import search
from ngo.donations import public_ledger
from ngo.errors import MESSAGES
from ngo.extensions import limiter
from ngo.http_cache import cacheable
from ngo.public import browse
from ngo.public.browse import BrowseError

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

# How long a client should wait when the database cannot be reached (a restart, a failover).
UNAVAILABLE_RETRY_SECONDS = 30
TOO_LONG = _l("This address is too long.")


def _answer(model: BaseModel, status: int = 200) -> Response:
    # Serialised by Pydantic (in Rust): the models are the document's schemas.
    return Response(model.model_dump_json(exclude_none=False), status, mimetype="application/json")


def _error(status: int, message: object, field: str | None = None) -> Response:
    body = error(status, message, field).model_dump_json(exclude_none=True)
    return Response(body, status, mimetype="application/json")


@bp.before_request
def refuse_oversized_requests() -> Response | None:
    """Answer in JSON what a server in front would refuse, so that the document holds without
    one: a query over MAX_QUERY_STRING bytes (414), or a body the app would not read (413)."""
    if len(request.query_string) > MAX_QUERY_STRING:
        return _error(414, TOO_LONG)
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        return _error(413, MESSAGES[413][1])
    return None


@bp.errorhandler(ParameterError)
@bp.errorhandler(BrowseError)
def refused(refusal: ParameterError | BrowseError) -> Response:
    return _error(400, refusal.message, refusal.field)


@bp.errorhandler(RateLimitExceeded)
def too_many(exceeded: RateLimitExceeded) -> Response:
    response = _error(429, MESSAGES[429][1])
    current = limiter.current_limit
    if current is not None:
        seconds = int(current.reset_at - time.time())
    else:
        seconds = int(exceeded.limit.limit.get_expiry())
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


@bp.errorhandler(OperationalError)
def unavailable(failure: OperationalError) -> Response:
    """The database is unreachable or busy: a 503 the client may retry, not a 500. Logged by
    type and route only (the statement's parameters may be a reader's search words)."""
    current_app.logger.error(
        "database unavailable (%s) at %s %s",
        type(failure.orig).__name__,
        request.method,
        request.url_rule,
    )
    response = _error(503, MESSAGES[500][1])
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
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


def _filters(query: AppealListQuery) -> browse.Filters | None:
    """The browse filters of a valid query; None when the search words hold nothing the search
    indexes (letters of a script it does not fold), which no appeal can match."""
    q = " ".join((query.q or "").split())
    terms: tuple[str, ...] = ()
    if q:
        try:
            terms = tuple(search.query_terms(q))
        except search.SearchQueryError:
            return None
    return browse.Filters(
        q=q,
        terms=terms,
        category=query.category,
        country=query.country,
        language=query.language,
        status=query.status,
        band=query.band,
        sort=query.sort,
    )


@bp.get("/appeals")
@cacheable()
def appeal_list() -> Response:
    query = parse_query(AppealListQuery, request.args)
    filters = _filters(query)
    if filters is None:
        return _answer(AppealList(data=[], next_cursor=None))
    listings, next_cursor = browse.cursor_page(filters, query.cursor, query.limit, query.lang or "")
    data = [serialize.summary(listing) for listing in listings]
    return _answer(AppealList(data=data, next_cursor=next_cursor))


@bp.get("/appeals/<slug>")
@cacheable()
def appeal_detail(slug: str) -> Response:
    query = parse_query(AppealQuery, request.args)
    try:
        public = browse.public_appeal(slug, query.lang or "")
    except browse.AppealGoneError:
        # Neutral: the answer never says why (consent withdrawn, verification expired...).
        abort(410)
    except LookupError:
        abort(404)
    return _answer(
        serialize.detail(
            public.appeal,
            query.lang,
            card=public.card,
            badge=public.badge,
            lines=public.lines,
            updates=public.updates,
        )
    )


@bp.get("/appeals/<slug>/ledger")
@cacheable()
def appeal_ledger(slug: str) -> Response:
    query = parse_query(LedgerQuery, request.args)
    try:
        appeal = browse.find_listed(slug)
    except browse.AppealGoneError:
        abort(410)
    except LookupError:
        abort(404)
    try:
        page = public_ledger.cursor_page(appeal, query.cursor, query.limit)
    except public_ledger.LedgerCursorError:
        raise ParameterError(
            _l("This cursor is not valid; start again from the first page."), "cursor"
        ) from None
    return _answer(serialize.ledger(appeal, page, public_ledger.newest_checkpoint()))


@bp.get("/openapi.json")
@cacheable()
def openapi_json() -> Response:
    parse_query(DocumentQuery, request.args)
    return jsonify(openapi_document())
