"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def tamper_signature(token: str) -> str:
    """Change one character of the signature (the first: it carries only significant bits)."""
    payload, signature = token.rsplit(".", 1)
    replacement = "A" if signature[0] != "A" else "B"
    return f"{payload}.{replacement}{signature[1:]}"


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def split_link(link: str) -> tuple[str, str]:
    """An e-mailed link's page and its token, which comes after "#"."""
    page, _, token = link.partition("#")
    assert token, f"no token after # in {link!r}"
    return page, token


def open_link(client: FlaskClient, link: str) -> TestResponse:
    """What a browser does with one of our e-mailed links: it asks for the page without the
    part after "#", and static/js/link-token.js posts that part to the page's form."""
    page, token = split_link(link)
    landing = client.get(page)
    assert landing.status_code == 200, landing.status_code
    assert 'name="token"' in landing.get_data(as_text=True)
    assert "js/link-token.js" in landing.get_data(as_text=True)
    return client.post(page, data={"token": token})
