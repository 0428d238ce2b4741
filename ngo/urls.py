from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError, MapAdapter
from werkzeug.urls import iri_to_uri

# Longer than any address of ours, short enough to keep out a header stuffed with junk.
MAX_REDIRECT_LENGTH = 2048


_EXTERNAL_ADAPTERS = "ngo.external_url_adapters"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails, which are often composed by the worker outside a request:
    under NGO_BASE_URL, never the host a request came in on.

    What `url_for(endpoint, _external=True)` gives in a request for NGO_BASE_URL's "/", built
    with that request's URL adapter, which is made once per base URL: a request context for
    each link cost a receipt's worker a hundred times the building of the link. Anything but
    plain values (`_anchor`, `_scheme`...), or a link that cannot be built, takes the long way
    (url_for in the request context, with its error handling)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    base_url = app.config["NGO_BASE_URL"]
    if any(name.startswith("_") for name in values) or endpoint.startswith("."):
        return _external_url_in_request(app, base_url, endpoint, values)
    key = (base_url, app.config["SERVER_NAME"])
    adapters: dict[tuple[Any, ...], MapAdapter] = app.extensions.setdefault(_EXTERNAL_ADAPTERS, {})
    adapter = adapters.get(key)
    if adapter is None:
        made = app.test_request_context("/", base_url=base_url).url_adapter
        assert made is not None  # a request always has one
        adapter = adapters[key] = made
    built = dict(values)
    app.inject_url_defaults(endpoint, built)
    try:
        return adapter.build(endpoint, built, force_external=True)
    except BuildError:
        return _external_url_in_request(app, base_url, endpoint, values)


def _external_url_in_request(
    app: Flask, base_url: str, endpoint: str, values: dict[str, Any]
) -> str:
    with app.test_request_context("/", base_url=base_url):
        return url_for(endpoint, _external=True, **values)


def init_cached_url_for(app: Flask) -> None:
    """Templates build their links through `cached_url_for`: a list page asks for sixty links
    (three per card) and Werkzeug's URL building took an eighth of a fresh page's time."""
    app.extensions[_CACHED_URLS] = {}
    app.jinja_env.globals["url_for"] = cached_url_for


_CACHED_URLS = "ngo.cached_urls"
# A value that every converter and the query string keep as it is (a slug, a token, a code).
_VERBATIM = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MARK = "ngoLinkValue7"


def cached_url_for(endpoint: str, **values: Any) -> str:
    """`url_for`, remembered. The app has no URL defaults, so a link depends only on its
    values, on where the app is mounted and, for ".name", on the blueprint asked from. Links
    without values (the menu) and static files are remembered whole. A link with one value
    written verbatim (`slug=...`) is remembered as the text around a marker built in its
    place, so an appeal's link costs a concatenation and the memory stays one entry per kind
    of link, not one per appeal. Anything else, or a link whose converter does not keep the
    marker as it is, is built by `url_for` each time."""
    if not has_request_context():
        return url_for(endpoint, **values)
    urls: dict[tuple[Any, ...], Any] = current_app.extensions[_CACHED_URLS]
    blueprint = request.blueprint if endpoint.startswith(".") else None
    if not values or (endpoint == "static" and values.keys() == {"filename"}):
        key = ("whole", request.script_root, blueprint, endpoint, values.get("filename"))
        found = urls.get(key)
        if found is None:
            found = urls[key] = url_for(endpoint, **values)
        return str(found)
    if len(values) == 1:
        ((name, value),) = values.items()
        if isinstance(value, str) and not name.startswith("_") and _VERBATIM.fullmatch(value):
            key = ("around", request.script_root, blueprint, endpoint, name)
            around = urls.get(key)
            if around is None:
                around = urls[key] = _around_mark(endpoint, name)
            if around:
                return f"{around[0]}{value}{around[1]}"
    return url_for(endpoint, **values)


def _around_mark(endpoint: str, name: str) -> tuple[str, ...]:
    """The link built with the marker as its value, split around it; empty if the link
    cannot be built so (a converter for numbers) or does not keep the marker verbatim."""
    try:
        marked: dict[str, Any] = {name: _MARK}
        built = url_for(endpoint, **marked)
    except (BuildError, ValueError):
        return ()
    return tuple(built.split(_MARK)) if built.count(_MARK) == 1 else ()


def safe_redirect_target(target: object, fallback: str) -> str:
    """`target` if it is a path on this site, as it will be sent in `Location`; else `fallback`.

    Every view that reads a `next` parameter goes through here: an open redirect would lend our
    name to phishing links. Only a relative path is allowed: one that starts with a single "/".
    Browsers remove tabs and newlines anywhere in an address and read a backslash as a slash,
    so "/\\t/evil.example" or "/\\\\evil.example" would lead to another host; and a newline in a
    header is refused by Werkzeug (a 500). So a target holding any control character, any
    backslash or surrounding spaces is refused as a whole, never cleaned up into something else.
    The check runs on the target after Werkzeug's own normalisation (iri_to_uri), which is what
    the browser receives. An absolute URL is refused even when it names this site: our pages
    only ever pass paths, so nothing legitimate is lost.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_REDIRECT_LENGTH:
        return fallback
    if target != target.strip() or "\\" in target:
        return fallback
    # Checked before and after normalisation: iri_to_uri turns "///evil.example" into a path.
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    if any(unicodedata.category(ch) == "Cc" for ch in target):
        return fallback
    try:
        uri = iri_to_uri(target)
        parts = urlsplit(uri)
    except (ValueError, UnicodeError):
        return fallback
    if parts.scheme or parts.netloc or not uri.startswith("/") or uri.startswith("//"):
        return fallback
    return uri
