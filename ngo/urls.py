from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails, which are often composed by the worker outside a request."""
    base_url = current_app.config["NGO_BASE_URL"]
    with current_app.test_request_context("/", base_url=base_url):
        return url_for(endpoint, _external=True, **values)


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site paths: an open redirect would lend our name to phishing links."""
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\"))
