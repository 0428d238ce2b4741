"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from werkzeug.test import TestResponse


def tamper_signature(token: str) -> str:
    """Change one character of the signature (the first: it carries only significant bits)."""
    payload, signature = token.rsplit(".", 1)
    replacement = "A" if signature[0] != "A" else "B"
    return f"{payload}.{replacement}{signature[1:]}"


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
