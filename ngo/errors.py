"""Error pages in the user's language, or JSON for API clients; never a stack trace."""

from __future__ import annotations

import traceback

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.wrappers import Response

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please check what you sent."),
    ),
    401: (_l("Sign-in needed"), _l("Please sign in to see this page.")),
    403: (
        _l("Not allowed"),
        _l("Your role does not allow this. Ask an administrator if you need it."),
    ),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    410: (_l("No longer available"), _l("This page is no longer available.")),
    413: (_l("Too large"), _l("What you sent is too large. Send less at a time.")),
    429: (_l("Too many requests"), _l("Too many attempts. Please wait a minute and try again.")),
    500: (
        _l("Something went wrong"),
        _l("Something went wrong on our side. Please try again later."),
    ),
}
CSRF_MESSAGE = _l(
    "This form has expired or did not come from this site. Go back, reload the page and try again."
)


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/healthz")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


class BadParameter(BadRequest):
    """A 400 that names the query parameter or form field at fault (`field` in JSON)."""

    def __init__(self, description: str, field: str) -> None:
        super().__init__(description)
        self.field = field


def _respond(code: int, message: str | None = None, field: str | None = None) -> Response:
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    text = str(message or default_message)
    if wants_json():
        body: dict[str, object] = {"status": code, "message": text}
        if field:
            body["field"] = field
        return make_response(jsonify({"error": body}), code)
    return make_response(
        render_template("errors/error.html", code=code, title=title, message=text), code
    )


def handle_http_error(error: HTTPException) -> Response:
    code = error.code or 500
    # Our views' abort(400 or 403, description=_(...)) says what was wrong, in the user's
    # language. Other descriptions (Werkzeug's boilerplate, Flask-Limiter's "10 per 1 minute")
    # are English and technical: the translated page text replaces them.
    custom = (
        error.description
        if code in (400, 403) and error.description != type(error).description
        else None
    )
    response = _respond(code, custom, getattr(error, "field", None))
    original = error.get_response()
    for header in ("Retry-After", "Allow"):  # keep what tells the client how to recover
        if header in original.headers:
            response.headers[header] = original.headers[header]
    return response


def handle_csrf_error(error: CSRFError) -> Response:
    return _respond(400, str(CSRF_MESSAGE))


def handle_unexpected(error: Exception) -> Response:
    # Log the type and the route, not the value: values may hold personal data.
    current_app.logger.error(
        "unhandled %s at %s %s\n%s",
        type(error).__name__,
        request.method,
        request.url_rule,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return _respond(500)


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
