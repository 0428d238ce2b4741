from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.urls import iri_to_uri

# Longer than any address of ours, short enough to keep out a header stuffed with junk.
MAX_REDIRECT_LENGTH = 2048


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails, which are often composed by the worker outside a request."""
    base_url = current_app.config["NGO_BASE_URL"]
    with current_app.test_request_context("/", base_url=base_url):
        return url_for(endpoint, _external=True, **values)


def init_cached_url_for(app: Flask) -> None:
    """Templates build their links through `cached_url_for`: a public page asks for twenty
    links, most of them the same on every page (the style sheets, the menu), and Werkzeug's
    URL building took a twentieth of a fresh page's time."""
    app.extensions[_CACHED_URLS] = {}
    app.jinja_env.globals["url_for"] = cached_url_for


_CACHED_URLS = "ngo.cached_urls"


def cached_url_for(endpoint: str, **values: Any) -> str:
    """`url_for`, remembered for the links that do not change from page to page: those with
    no values, or only a static file's name. The app has no URL defaults, so such a link
    depends only on where the app is mounted (and, for ".name", on the blueprint asked from).
    Links with other values (an appeal's slug) are built each time: remembering every one
    would grow without limit."""
    if not has_request_context() or (
        values and (endpoint != "static" or values.keys() != {"filename"})
    ):
        return url_for(endpoint, **values)
    blueprint = request.blueprint if endpoint.startswith(".") else None
    key = (request.script_root, blueprint, endpoint, values.get("filename"))
    urls: dict[tuple[Any, ...], str] = current_app.extensions[_CACHED_URLS]
    found = urls.get(key)
    if found is None:
        found = urls[key] = url_for(endpoint, **values)
    return found


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
