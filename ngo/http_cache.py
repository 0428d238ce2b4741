"""Caching and rate limits shared by every public page and the public API.

Public answers carry an ETag and a short `Cache-Control: public` lifetime, and a request whose
If-None-Match matches gets a 304 with no body. They vary on the language (cookie or
Accept-Language). A signed-in visitor's answers are never cached: staff see more than the
public. Readers share one per-client rate limit across pages and API, sized for people
reading and low enough to make bulk scraping of the appeals slow.

Each web worker also keeps the public pages it rendered for anonymous readers, by path, query
and language, and serves them again while the public site's version is unchanged, no listing
has run out since, and for PUBLIC_CACHE_SECONDS (10) at most: texts, images and listings bump
the version and take effect on the next request, while money figures, which move with every
gift and do not bump it, are at most that many seconds stale. This module does not know what
makes a page stale: the public domain tells it in its init_app (`set_freshness`:
campaigns.visibility bumps the version in the same transaction as any change a public page
shows). Checking costs one small query, so a withdrawn consent still takes an appeal off every
page at once. Without a freshness rule no page is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import Flask, current_app, make_response, request, session
from flask_babel import get_locale
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from ngo.extensions import limiter
from ngo.timeutil import utcnow

F = TypeVar("F", bound=Callable[..., Any])
# The public site's version and the moment its earliest listing runs out.
Freshness = Callable[[], tuple[int, datetime | None]]
_FRESHNESS = "ngo.public_freshness"


def set_freshness(app: Flask, freshness: Freshness) -> None:
    """Tell the page cache how to know that its pages are stale."""
    app.extensions[_FRESHNESS] = freshness


def public_rate_limit() -> str:
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


# One budget per client for all public reading, pages and API alike.
public_limit = limiter.shared_limit(public_rate_limit, scope="public-read")


def _signed_in() -> bool:
    return "_user_id" in session or "auth_pending" in session


def conditional(response: Response, *, max_age: int | None = None) -> Response:
    """Add ETag and caching headers to a public GET answer, and turn it into a 304 when the
    client already has this version."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if _signed_in():
        response.headers["Cache-Control"] = "private, no-store"
        return response
    seconds = current_app.config["PUBLIC_CACHE_SECONDS"] if max_age is None else max_age
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.vary.update(("Accept-Language", "Cookie"))
    response.add_etag()
    return response.make_conditional(request)


@dataclass(frozen=True)
class _Rendered:
    body: bytes
    headers: Headers
    version: int
    good_until: datetime | None


class PageCache:
    """A small LRU of rendered public answers, per process, bounded in entries and in bytes
    (images are public answers too).

    cachetools bounds its LRU by one measure, here the bytes of the bodies; the number of
    entries is held by dropping the least recently used ones after each insert.
    """

    def __init__(self, size: int, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.size = size
        self._entries: LRUCache[tuple[str, ...], _Rendered] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: len(entry.body)
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], version: int, now: datetime) -> _Rendered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version or (entry.good_until and now >= entry.good_until):
                del self._entries[key]
                return None
            return entry

    def put(self, key: tuple[str, ...], entry: _Rendered) -> None:
        with self._lock:
            self._entries.pop(key, None)
            if len(entry.body) > self._entries.maxsize:
                return  # larger than the whole cache: cachetools would refuse it
            self._entries[key] = entry
            while len(self._entries) > self.size:
                self._entries.popitem()

    @property
    def stored_bytes(self) -> int:
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


MAX_CACHED_BODY = 512 * 1024


def _page_cache() -> PageCache:
    cache = current_app.extensions.get("ngo_page_cache")
    if cache is None:
        cache = current_app.extensions["ngo_page_cache"] = PageCache(
            int(current_app.config["PUBLIC_PAGE_CACHE_SIZE"])
        )
    return cache


def _cached_view(
    freshness: Freshness, view: Callable[..., Any], args: Any, kwargs: Any
) -> Response:
    key = (request.path, request.query_string.decode("latin-1"), str(get_locale()))
    version, next_expiry = freshness()
    now = utcnow()
    cache = _page_cache()
    hit = cache.get(key, version, now)
    if hit is not None:
        return Response(hit.body, status=200, headers=Headers(hit.headers))
    response = make_response(view(*args, **kwargs))
    body = response.get_data() if not response.direct_passthrough else b""
    good_until = now + timedelta(seconds=int(current_app.config["PUBLIC_CACHE_SECONDS"]))
    if next_expiry is not None:
        good_until = min(good_until, next_expiry)
    if (
        response.status_code == 200
        and body
        and len(body) <= MAX_CACHED_BODY
        and "Set-Cookie" not in response.headers
        and not session.modified
    ):
        cache.put(key, _Rendered(body, Headers(response.headers), version, good_until))
    return response


def cacheable(max_age: int | None = None) -> Callable[[F], F]:
    """Decorate a public GET view: the rate limit, the page cache for anonymous readers, then
    ETag/Cache-Control/304."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            freshness = current_app.extensions.get(_FRESHNESS)
            if (
                freshness is not None
                and current_app.config["PUBLIC_PAGE_CACHE_SIZE"]
                and request.method in ("GET", "HEAD")
                and not _signed_in()
            ):
                response = _cached_view(freshness, view, args, kwargs)
            else:
                response = make_response(view(*args, **kwargs))
            return conditional(response, max_age=max_age)

        return public_limit(wrapper)  # type: ignore[return-value]

    return decorate
