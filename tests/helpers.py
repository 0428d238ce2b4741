"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from ngo.extensions import db

# Each Session's transaction runs in a SAVEPOINT of the test's connection (tests/conftest.py);
# production sends none of these (ngo nests no transaction), so statement counts leave them out.
_HARNESS_STATEMENT = re.compile(
    r"(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) sa_savepoint_\d+"
)


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL statements the code sends while the block runs (the harness's SAVEPOINTs left
    out)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if not _HARNESS_STATEMENT.fullmatch(statement.strip()):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


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
