"""Fixtures of the tests that give online: one Stripe stub server per run (so the app, built
for its address, is built once), emptied for each test; and Stripe objects as the API of the
library's pinned version returns them."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.donations import stripe_stub as stub_server
from tests.donations.stripe_stub import WEBHOOK_SECRET, StripeStub

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def stripe_server():
    stub = StripeStub()
    server = stub_server.start(stub)
    yield stub
    server.shutdown()


@pytest.fixture
def stripe_stub(stripe_server):
    stripe_server.reset()
    return stripe_server


def stripe_config(stub: StripeStub) -> dict[str, object]:
    return {
        "STRIPE_SECRET_KEY": "sk_test_stub",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stub.url,
    }


def paid_intent(
    stub: StripeStub,
    amount_minor: int,
    currency: str,
    *,
    fee: int = 175,
    method: str = "card",
    metadata: dict[str, str] | None = None,
    balance_currency: str | None = None,
    exchange_rate: float | None = None,
) -> dict[str, Any]:
    """A succeeded payment intent with its charge and balance transaction, in the stub."""
    n = next(_numbers)
    balance = {
        "id": f"txn_test_{n}",
        "object": "balance_transaction",
        "amount": amount_minor,
        "currency": (balance_currency or currency).lower(),
        "fee": fee,
        "exchange_rate": exchange_rate,
        "created": int(time.time()),
    }
    charge = {
        "id": f"ch_test_{n}",
        "object": "charge",
        "amount": amount_minor,
        "currency": currency.lower(),
        "payment_intent": f"pi_test_{n}",
        "payment_method_details": {"type": method},
        "balance_transaction": balance,
    }
    intent = {
        "id": f"pi_test_{n}",
        "object": "payment_intent",
        "amount": amount_minor,
        "amount_received": amount_minor,
        "currency": currency.lower(),
        "status": "succeeded",
        "metadata": metadata or {},
        "latest_charge": charge,
    }
    stub.put(intent)
    stub.put(charge)
    return intent


def checkout_session(
    donation,
    *,
    intent: dict[str, Any] | None = None,
    session_id: str | None = None,
    payment_status: str = "paid",
    subscription: str | None = None,
    invoice: str | None = None,
) -> dict[str, Any]:
    return {
        "id": session_id or f"cs_test_done_{donation.public_id}",
        "object": "checkout.session",
        "mode": "subscription" if subscription else "payment",
        "payment_status": payment_status,
        "status": "complete",
        "metadata": {"donation": donation.public_id},
        "payment_intent": intent["id"] if intent else None,
        "subscription": subscription,
        "invoice": invoice,
        "amount_total": donation.amount_minor,
        "currency": donation.currency.lower(),
    }


def invoice(
    stub: StripeStub,
    invoice_id: str,
    subscription_id: str,
    intent: dict[str, Any],
    *,
    billing_reason: str,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An invoice as API version 2025-03-31 and later shape it: its subscription under
    `parent`, its payment intent among its `payments`."""
    obj = {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": billing_reason,
        "amount_paid": intent["amount_received"],
        "currency": intent["currency"],
        "status": "paid",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription_id,
                "metadata": metadata or {},
            },
        },
        "payments": {
            "object": "list",
            "data": [
                {
                    "object": "invoice_payment",
                    "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                }
            ],
        },
    }
    return stub.put(obj)
