"""Talking to Stripe through the official `stripe` library: Checkout sessions for a pending gift,
what a payment cost (its balance transaction), and cancelling a monthly plan's subscription.

Stripe is told as little as it needs. The only metadata is the donation's public id; the
product is called "Donation"; the card statement's suffix is the organisation's short name or
the neutral NGO_STATEMENT_DESCRIPTOR, never the appeal, the person or the cause. (Non-card
methods and subscriptions' invoices show the Stripe account's own descriptor, which the
organisation must keep neutral in its Stripe settings.) Every answer is read as plain dicts.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import quote

import requests
import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from ngo.accounts.models import Organisation
from ngo.donations.models import Donation
from ngo.extensions import db
from ngo.rules import RuleError

PROVIDER = "stripe"
METADATA_KEY = "donation"
# What Checkout may offer, by currency (Stripe's own compatibility tables: BLIK and
# Przelewy24 are PLN methods that do not support subscription mode; SEPA Direct Debit is EUR
# and supports both).
ONE_OFF_METHODS = {"PLN": ["card", "blik", "p24"], "EUR": ["card", "sepa_debit"]}
MONTHLY_METHODS = {"EUR": ["card", "sepa_debit"]}
_DESCRIPTOR_OK = re.compile(r"[^A-Z0-9 .\-]")


class PaymentProviderError(RuleError):
    """Stripe did not answer as expected; the request is refused and nothing is recorded."""


def configured() -> bool:
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


# One client per process, thread and configuration: its HTTP session keeps its connection to
# Stripe open between webhooks instead of opening a new one, TLS handshake included, for
# every call. Keyed by the process id too, so that a client made before gunicorn forks is
# never shared by two workers, and by the thread, since a requests session is one thread's.
_clients: dict[tuple[int, int, str, str], stripe.StripeClient] = {}
_clients_lock = threading.Lock()
DEFAULT_API_BASE = "https://api.stripe.com"


def client() -> stripe.StripeClient:
    config = current_app.config
    secret = str(config["STRIPE_SECRET_KEY"])
    base = str(config.get("STRIPE_API_BASE") or "")
    key = (os.getpid(), threading.get_ident(), secret, base)
    found = _clients.get(key)
    if found is None:
        with _clients_lock:
            found = _clients.get(key)
            if found is None:
                found = stripe.StripeClient(
                    secret,
                    base_addresses={"api": base} if base else None,
                    max_network_retries=2,
                    http_client=_http_client(base or DEFAULT_API_BASE),
                )
                _clients[key] = found
    return found


def _http_client(base: str) -> stripe.HTTPClient:
    """The library's own requests client, told once which proxy (if any) the environment
    names for Stripe's address, as requests would work it out (HTTPS_PROXY, NO_PROXY) on
    every call: left to requests, each call read the whole environment twice and looked
    for a .netrc file, a fifth of a webhook's Stripe call. The CA bundle is the library's
    either way."""
    session = requests.Session()
    session.trust_env = False
    proxy = requests.utils.select_proxy(base, requests.utils.get_environ_proxies(base))
    return stripe.RequestsClient(session=session, proxy=proxy)


def as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, stripe.StripeObject):
        return value.to_dict()
    return dict(value or {})


def payment_method_types(currency: str, monthly: bool) -> list[str]:
    table = MONTHLY_METHODS if monthly else ONE_OFF_METHODS
    return list(table.get(currency, ["card"]))


def neutral_descriptor(text: str) -> str:
    """Upper-case Latin letters, digits and spaces, at most 22 characters, with a letter."""
    cleaned = " ".join(_DESCRIPTOR_OK.sub(" ", text.upper()).split())[:22].strip()
    return cleaned if re.search(r"[A-Z]", cleaned) else "DONATION"


def descriptor_for(organisation_id: int) -> str:
    organisation = db.session.get(Organisation, organisation_id)
    short_name = getattr(organisation, "short_name", None) if organisation else None
    return neutral_descriptor(short_name or str(current_app.config["STATEMENT_DESCRIPTOR"]))


def checkout_params(
    donation: Donation, *, email: str, success_url: str, cancel_url: str, product_name: str
) -> dict[str, Any]:
    """The Checkout session for a pending gift, from the stored gift alone: a second post of
    the same form sends the same parameters with the same idempotency key, and Stripe answers
    with the same session."""
    monthly = donation.frequency == "monthly"
    price: dict[str, Any] = {
        "currency": donation.currency.lower(),
        "unit_amount": donation.amount_minor,
        "product_data": {"name": product_name},
    }
    metadata = {METADATA_KEY: donation.public_id}
    params: dict[str, Any] = {
        "mode": "subscription" if monthly else "payment",
        "line_items": [{"price_data": price, "quantity": 1}],
        "payment_method_types": payment_method_types(donation.currency, monthly),
        "customer_email": email,
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if monthly:
        price["recurring"] = {"interval": "month"}
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {
            "metadata": metadata,
            "statement_descriptor_suffix": descriptor_for(donation.organisation_id),
        }
    return params


def create_checkout_session(params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    try:
        session = client().v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]  # built as a plain dict
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe refused a Checkout session: %s", type(exc).__name__)
        raise PaymentProviderError(
            _l("Online payment is not available right now. Try again, or pay by bank transfer.")
        ) from exc
    return as_dict(session)


def _retrieve(collection: str, object_id: str, **params: Any) -> dict[str, Any]:
    """GET /v1/<collection>/<id> as the plain dict Stripe sent: through the library's own
    request (keys, retries, errors raised as its exceptions), without building the nested
    StripeObjects that would only be turned back into dicts."""
    path = f"/v1/{collection}/{quote(object_id, safe='')}"
    return dict(client().raw_request("get", path, **params).data)


def retrieve_payment_intent(payment_intent_id: str, *, with_charge: bool = True) -> dict[str, Any]:
    """The payment intent with its latest charge and that charge's balance transaction (or
    without them: the amount and the metadata)."""
    if not with_charge:
        return _retrieve("payment_intents", payment_intent_id)
    return _retrieve(
        "payment_intents", payment_intent_id, expand=["latest_charge.balance_transaction"]
    )


def retrieve_invoice(invoice_id: str) -> dict[str, Any]:
    return _retrieve("invoices", invoice_id, expand=["payments"])


def invoice_paid_by(payment_intent_id: str) -> str | None:
    """The invoice a payment intent paid, if any: the invoice's payments name their intents
    (since API version 2025-03-31 neither the intent nor its charge names the invoice)."""
    found = client().v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}, "limit": 1}
    )
    for row in as_dict(found).get("data") or []:
        invoice = row.get("invoice")
        invoice_id = invoice.get("id") if isinstance(invoice, dict) else invoice
        if invoice_id:
            return str(invoice_id)
    return None


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return _retrieve("subscriptions", subscription_id)


def retrieve_balance_transaction(balance_transaction_id: str) -> dict[str, Any]:
    return _retrieve("balance_transactions", balance_transaction_id)


def cancel_subscription(subscription_id: str) -> None:
    """Cancel at Stripe; a subscription Stripe no longer has counts as cancelled."""
    try:
        client().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.code != "resource_missing":
            raise PaymentProviderError(
                _l("The monthly gift could not be cancelled right now. Please try again.")
            ) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(
            _l("The monthly gift could not be cancelled right now. Please try again.")
        ) from exc
