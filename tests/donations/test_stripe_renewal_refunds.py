"""Monthly renewals whose refund comes before their `invoice.paid`: the renewal's charge names
no gift, so the refund finds its invoice through Stripe's invoice payments, settles it as
`invoice.paid` would, then refunds it; `invoice.paid` afterwards changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from ngo.donations.models import Donation
from ngo.extensions import db
from tests.donations.stripe_fixtures import (
    checkout_session,
    invoice,
    paid_intent,
    stripe_server,
    stripe_stub,
)
from tests.donations.stripe_stub import event, signed_post
from tests.donations.test_stripe_webhooks import (
    app_config,
    assert_ledger_agrees,
    count,
    pending,
    raised,
    refunded,
    subscription,
)

__all__ = ["app_config", "pending", "stripe_server", "stripe_stub"]  # fixtures used by name


def monthly_gift(client, stub, pending, subscription_id: str, *, with_metadata: bool = True):
    """A monthly gift whose checkout and first invoice Stripe settled: (subscription, the
    subscription's metadata as its invoices carry it)."""
    donation = pending(amount_minor=2_000, frequency="monthly")
    sub = subscription(stub, donation, subscription_id)
    meta = {"donation": donation.public_id} if with_metadata else None
    first = renewal_invoice(stub, f"in_{subscription_id}_1", sub, "subscription_create", meta)
    session = checkout_session(donation, subscription=sub["id"], invoice=first["id"])
    assert signed_post(client, event("checkout.session.completed", session)).status_code == 200
    return sub, meta


def renewal_invoice(stub, invoice_id, sub, reason, meta, intent=None):
    intent = intent or paid_intent(stub, 2_000, "EUR")
    return invoice(stub, invoice_id, sub["id"], intent, billing_reason=reason, metadata=meta)


def test_a_renewal_refunded_before_its_invoice_paid_is_confirmed_then_refunded_once(
    client, appeal, pending, stripe_stub
):
    sub, meta = monthly_gift(client, stripe_stub, pending, "sub_test_refund")
    # The renewal's intent names no gift (Stripe copies no metadata onto it) and, since API
    # version 2025-03-31, neither it nor its charge names the invoice.
    renewal_intent = paid_intent(stripe_stub, 2_000, "EUR", fee=55)
    renewal = renewal_invoice(
        stripe_stub, "in_test_refund_2", sub, "subscription_cycle", meta, renewal_intent
    )
    response = signed_post(client, refunded(renewal_intent, 2_000))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "refunded"
    gifts = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [(g.status, g.reversed_minor) for g in gifts] == [("confirmed", 0), ("refunded", 2_000)]
    assert gifts[1].fee_minor == 55
    assert raised(appeal) == 2_000  # the first month's gift only

    # invoice.paid arrives afterwards: the renewal is not confirmed again, nor a third gift.
    paid = signed_post(client, event("invoice.paid", renewal))
    assert paid.get_json()["outcome"] == "already confirmed"
    again = signed_post(client, refunded(renewal_intent, 2_000))
    assert again.get_json()["outcome"] == "already refunded"
    assert count(Donation) == 2
    assert raised(appeal) == 2_000
    assert_ledger_agrees()


def test_a_refund_of_a_renewal_whose_invoice_is_not_paid_is_retried_later(
    client, appeal, pending, stripe_stub
):
    sub, _ = monthly_gift(client, stripe_stub, pending, "sub_test_open", with_metadata=False)
    renewal_intent = paid_intent(stripe_stub, 2_000, "EUR")
    renewal = renewal_invoice(
        stripe_stub, "in_test_open_2", sub, "subscription_cycle", None, renewal_intent
    )
    renewal["status"] = "open"
    response = signed_post(client, refunded(renewal_intent, 2_000))
    assert response.status_code == 409
    assert count(Donation) == 1
    assert raised(appeal) == 2_000
