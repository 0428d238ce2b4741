"""Caching and rate limits shared by every public page and the public API.

Public answers carry an ETag and a short `Cache-Control: public` lifetime, and a request whose
If-None-Match matches gets a 304 with no body. They vary on the language (cookie or
Accept-Language). A signed-in visitor's answers are never cached: staff see more than the
public. Readers share one per-client rate limit across pages and API, sized for people
reading and low enough to make bulk scraping of the appeals slow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, make_response, request, session
from werkzeug.wrappers import Response

from ngo.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


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


def cacheable(max_age: int | None = None) -> Callable[[F], F]:
    """Decorate a public GET view: the rate limit, then ETag/Cache-Control/304."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            response = make_response(view(*args, **kwargs))
            return conditional(response, max_age=max_age)

        return public_limit(wrapper)  # type: ignore[return-value]

    return decorate
