"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ngo.errors import BadParameter

# No inline scripts or styles anywhere: the pages work without JavaScript, and what script
# there is comes from our own static folder.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if "_user_id" in session or "auth_pending" in session:
        # Staff pages may show personal data: keep them out of shared and browser caches.
        headers.setdefault("Cache-Control", "no-store")
    return response


def add_production_headers(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


NUL_MESSAGE = _l("This contains a character that is not allowed.")


def refuse_nul_characters() -> None:
    """A NUL in an address, a query or a form field is never meant, and PostgreSQL refuses it
    in text (a 500): answer 400 before any view reads it."""
    if "\x00" in request.path:
        raise BadParameter(str(NUL_MESSAGE), "path")
    for name, value in request.args.items(multi=True):
        if "\x00" in value or "\x00" in name:
            raise BadParameter(str(NUL_MESSAGE), name.replace("\x00", "")[:40])
    is_form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    if request.method == "POST" and is_form:
        for name, value in request.form.items(multi=True):
            if "\x00" in value or "\x00" in name:
                raise BadParameter(str(NUL_MESSAGE), name.replace("\x00", "")[:40])


CROSS_SITE_MESSAGE = _l(
    "This form was sent from another website, so it was not accepted. Open the page on our "
    "site and send the form from there."
)


def _origin(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def comes_from_another_site() -> bool:
    """Did a browser send this request from a page of another site?

    Sec-Fetch-Site is set by the browser and cannot be set by a page's script: it decides when
    present (only "cross-site" is refused, as a sibling subdomain is ours too). Browsers that do
    not send it (older Safari, some embedded browsers) still send Origin with every POST, or at
    least Referer: either must then name this site, by the address the request came to or by
    NGO_BASE_URL. "Origin: null" comes from sandboxed frames, local files and redirects from
    other sites, never from our own pages, so it counts as another site. A request with none of
    the three headers is not from a browser page (a mail program's one-click unsubscribe, curl)
    and is let through: what an attacker gains from cross-site posts is the visitors' browsers
    and their addresses, and those always send at least one of the headers.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "cross-site"
    ours = {
        (request.scheme, request.host.lower()),
        _origin(str(current_app.config["NGO_BASE_URL"])),
    }
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.strip() == "null" or _origin(origin) not in ours
    referer = request.headers.get("Referer")
    if referer is not None:
        return _origin(referer) not in ours
    return False


def init_security(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    if app.config["NGO_ENV"] == "production":
        app.after_request(add_production_headers)
