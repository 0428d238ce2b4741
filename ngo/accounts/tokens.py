"""Signed links for invitations and password resets.

The link carries a record id and a random nonce, signed with SECRET_KEY. The record in the
database decides expiry and single use, so a link can be told apart as forged, expired or used.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ngo.extensions import db
from ngo.timeutil import utcnow


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


class LinkError(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"ngo.{purpose}")


def make_link_token(purpose: str, record_id: int, nonce: str) -> str:
    return _serializer(purpose).dumps({"id": record_id, "n": nonce})


def read_link_token(purpose: str, token: str) -> tuple[int, str]:
    """The (record id, nonce) a token names; LinkError(INVALID) if it is forged or mangled."""
    if len(token) > 512:
        raise LinkError(LinkProblem.INVALID)
    try:
        data: Any = _serializer(purpose).loads(token)
    except BadSignature as exc:
        raise LinkError(LinkProblem.INVALID) from exc
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise LinkError(LinkProblem.INVALID)
    return data["id"], str(data.get("n", ""))


def nonce_matches(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode())


class LinkRecord(Protocol):
    nonce: str
    expires_at: Any


R = TypeVar("R", bound=LinkRecord)


def load_link_record(model: type[R], purpose: str, token: str) -> R:
    """The record a signed link names, or LinkError saying whether the link is forged,
    used (or withdrawn) or expired."""
    record_id, nonce = read_link_token(purpose, token)
    record = db.session.get(model, record_id)
    if record is None or not nonce_matches(record.nonce, nonce):
        raise LinkError(LinkProblem.INVALID)
    if getattr(record, "used_at", None) or getattr(record, "accepted_at", None):
        raise LinkError(LinkProblem.USED)
    if getattr(record, "revoked_at", None) is not None:
        raise LinkError(LinkProblem.INVALID)
    if record.expires_at <= utcnow():
        raise LinkError(LinkProblem.EXPIRED)
    return record
