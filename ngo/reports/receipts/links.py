"""The donor's signed link to their receipts.

The token is an itsdangerous timed signature, under the app's secret, of the receipt's random
public id: nothing personal, nothing guessable, and useless without the secret. It expires
after LINK_DAYS, long enough for the tax return of the year after the gift; the annual
receipt's e-mail in January brings a fresh one. An expired link is told apart from a forged
one, so the donor's page can say which it is.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ngo.donations.models import Donor
from ngo.extensions import db
from ngo.reports.receipts.models import Receipt

SALT = "receipt-link"
LINK_DAYS = 400
TOKEN_MAX_LENGTH = 200


class LinkProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"


class ReceiptLinkError(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def receipt_token(receipt: Receipt) -> str:
    return str(_serializer().dumps(receipt.public_id))


def receipt_from_token(token: str) -> Receipt:
    """The receipt the link was made for; ReceiptLinkError says why there is none."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise ReceiptLinkError(LinkProblem.INVALID)
    max_age = int(timedelta(days=LINK_DAYS).total_seconds())
    try:
        public_id = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ReceiptLinkError(LinkProblem.EXPIRED) from None
    except BadSignature:
        raise ReceiptLinkError(LinkProblem.INVALID) from None
    receipt = (
        db.session.scalars(select(Receipt).where(Receipt.public_id == public_id)).first()
        if isinstance(public_id, str)
        else None
    )
    donor = db.session.get(Donor, receipt.donor_id) if receipt and receipt.donor_id else None
    if donor is None or donor.erased_at is not None:
        raise ReceiptLinkError(LinkProblem.INVALID)  # an erased donor's link leads nowhere
    assert receipt is not None  # it has a donor
    return receipt
