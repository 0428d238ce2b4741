"""Monthly gifts the donor cancels from a signed link in every receipt, and the result page of
a gift, reached by a signed link too.

Both links carry an itsdangerous signature of a public id under the app's secret (salts
"cancel-plan" and "gift-page"), so nobody can make one from a public id seen elsewhere (the
public ledger); they never expire, as a monthly gift may run for years. Cancelling asks Stripe
to end the subscription first and marks the plan cancelled only once it has; Stripe's
`customer.subscription.deleted` event then finds it cancelled already.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ngo.donations import stripe_api
from ngo.donations.models import Donation, RecurringPlan
from ngo.donations.stripe_settle import cancel_plan
from ngo.extensions import db

CANCEL_SALT = "cancel-plan"
GIFT_PAGE_SALT = "gift-page"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=salt)


def cancel_token(plan: RecurringPlan) -> str:
    return str(_serializer(CANCEL_SALT).dumps(plan.public_id))


def gift_token(donation: Donation) -> str:
    return str(_serializer(GIFT_PAGE_SALT).dumps(donation.public_id))


def _public_id(token: str, salt: str) -> str | None:
    if not token or len(token) > 200:
        return None
    try:
        value = _serializer(salt).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def plan_from_token(token: str) -> RecurringPlan | None:
    public_id = _public_id(token, CANCEL_SALT)
    if public_id is None:
        return None
    return db.session.scalars(
        select(RecurringPlan).where(RecurringPlan.public_id == public_id)
    ).first()


def gift_from_token(token: str) -> Donation | None:
    public_id = _public_id(token, GIFT_PAGE_SALT)
    if public_id is None:
        return None
    return db.session.scalars(select(Donation).where(Donation.public_id == public_id)).first()


def cancel_monthly_gift(plan: RecurringPlan) -> bool:
    """End the plan: at Stripe (PaymentProviderError if Stripe refuses; nothing changes), then
    here. False if it was cancelled before."""
    if plan.cancelled_at is not None:
        return False
    if plan.provider == stripe_api.PROVIDER and plan.external_id:
        stripe_api.cancel_subscription(plan.external_id)
    return cancel_plan(plan, via="donor")
