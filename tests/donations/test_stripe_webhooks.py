"""Stripe's webhook, with payloads signed by the library's own scheme and the library's API calls
answered by the local stub: forged, unsigned, expired and replayed events; payments paid at
once and later (SEPA); the fee from the balance transaction (read by the worker after the
confirmation: tests/donations/test_stripe_fees.py has the time between); monthly plans and their
renewals; refunds and disputes in any order; and the ledger agreeing after all of it."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import func, select

from ngo import audit_reading
from ngo.audit import AuditEvent
from ngo.campaigns.models import Appeal
from ngo.donations import ledger, stripe_api, stripe_settle
from ngo.donations.models import (
    Donation,
    DonationStatus,
    ExchangeRate,
    Payment,
    ProviderEvent,
    RecurringPlan,
)
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from tests import factories
from tests.conftest import mail_text, sent_mail
from tests.donations.stripe_fixtures import (
    checkout_session,
    invoice,
    paid_intent,
    stripe_config,
    stripe_server,
    stripe_stub,
)
from tests.donations.stripe_stub import event, signed_post

__all__ = ["stripe_server", "stripe_stub"]  # fixtures used by name


@pytest.fixture
def app_config(stripe_server):
    return stripe_config(stripe_server)


@pytest.fixture
def pending(appeal):
    def pending(amount_minor=5_000, currency="EUR", **kwargs):
        return factories.DonationFactory(
            appeal=appeal, amount_minor=amount_minor, currency=currency, method="card", **kwargs
        )

    return pending


def reload(donation) -> Donation:
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def assert_ledger_agrees():
    report = ledger.verify()
    assert report.ok, (report.chain.problem, report.unbalanced_transactions)
    assert not report.counter_differences, report.counter_differences


def raised(appeal) -> int:
    db.session.expire_all()
    return db.session.get(Appeal, appeal.id).raised_minor


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Signatures --------------------------------------------------------------------------------


def test_unsigned_forged_expired_and_malformed_events_are_refused(client, pending, stripe_stub):
    donation = pending()
    intent = paid_intent(stripe_stub, 5_000, "EUR")
    payload = json.dumps(
        event("checkout.session.completed", checkout_session(donation, intent=intent))
    )
    unsigned = client.post(
        "/webhooks/stripe", data=payload, headers={"Content-Type": "application/json"}
    )
    forged = signed_post(client, payload, secret="whsec_someone_else")
    expired = signed_post(client, payload, timestamp=int(time.time()) - 600)
    tampered_header = stripe.WebhookSignature.generate_signature_header(payload, "x")
    garbled = signed_post(client, payload, header=tampered_header + ",v1=00")
    for response in (unsigned, forged, expired, garbled):
        assert response.status_code == 400
        assert response.get_json() == {"error": "invalid signature"}
    not_json = signed_post(client, "this is not json")
    assert not_json.status_code == 400
    assert not_json.get_json() == {"error": "invalid payload"}
    assert reload(donation).status == DonationStatus.PENDING
    assert count(ProviderEvent) == 0
    assert stripe_stub.requests == []


# One-off gifts -----------------------------------------------------------------------------


def test_a_paid_checkout_confirms_the_gift_with_the_fee_stripe_charged(
    client, appeal, pending, stripe_stub
):
    donation = pending()
    intent = paid_intent(stripe_stub, 5_000, "EUR", fee=163)
    completed = event("checkout.session.completed", checkout_session(donation, intent=intent))
    response = signed_post(client, completed)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "confirmed"}
    # The fee is the worker's: its outbox message, run after the request's commit (the
    # tests' Celery is eager).
    fee_message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == stripe_settle.FEE_KIND)
    ).one()
    assert status_of(fee_message) == WorkStatus.SENT
    assert fee_message.payload == {"donation_id": donation.id, "payment_intent": intent["id"]}
    donation = reload(donation)
    assert donation.status == DonationStatus.CONFIRMED
    assert donation.fee_minor == 163
    assert donation.method == "card"
    assert raised(appeal) == 5_000
    kinds = {p.kind: p for p in db.session.scalars(select(Payment))}
    assert set(kinds) == {"checkout_session", "payment_intent"}
    assert kinds["payment_intent"].external_id == intent["id"]
    assert kinds["payment_intent"].fee_minor == 163
    (retrieve,) = stripe_stub.calls("GET", f"/v1/payment_intents/{intent['id']}")
    assert retrieve.values("expand") == ["latest_charge.balance_transaction"]

    # Replayed: the same event id changes nothing.
    again = signed_post(client, completed)
    assert again.status_code == 200
    assert again.get_json()["outcome"] == "duplicate"
    assert raised(appeal) == 5_000
    assert count(ProviderEvent) == 1
    # The same payment told again under another event id: confirmed once.
    other = event("checkout.session.completed", checkout_session(donation, intent=intent))
    assert signed_post(client, other).get_json()["outcome"] == "already confirmed"
    assert raised(appeal) == 5_000
    assert_ledger_agrees()


def test_on_postgresql_a_paid_checkout_takes_three_statements_before_its_commit(
    client, pending, stripe_stub
):
    """The event's record with its gift, the lock of its appeal, the claim with the lines and
    the chains' heads; the rest goes with the commit (tests/test_deferred_writes.py)."""
    from ngo.donations import stripe_events
    from tests.helpers import counted_statements

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite records the event last and writes each row at once")
    confirm(client, pending(), stripe_stub)  # the chains' head rows are made
    donation = pending()
    db.session.commit()
    intent = paid_intent(stripe_stub, 5_000, "EUR")
    completed = event("checkout.session.completed", checkout_session(donation, intent=intent))
    with counted_statements() as statements:
        assert stripe_events.handle_event(completed) == "confirmed"
    assert len(statements) == 3, statements
    assert statements[0].lstrip().startswith("WITH recorded AS")
    assert "FOR UPDATE" in statements[1]
    db.session.commit()
    assert reload(donation).status == DonationStatus.CONFIRMED
    assert_ledger_agrees()


def test_a_fee_in_another_currency_is_converted_to_the_gifts(client, pending, stripe_stub):
    # The ECB's rate: 1 EUR = 4.25 PLN; Stripe settles the PLN gift in EUR.
    db.session.add(
        ExchangeRate(currency="PLN", rate=Decimal("4.2500"), rate_date=date.today(), source="ecb")
    )
    donation = pending(amount_minor=21_250, currency="PLN")
    intent = paid_intent(
        stripe_stub, 21_250, "PLN", fee=100, balance_currency="EUR", exchange_rate=0.2
    )
    response = signed_post(
        client, event("checkout.session.completed", checkout_session(donation, intent=intent))
    )
    assert response.status_code == 200
    donation = reload(donation)
    assert donation.fee_minor == 425  # 1.00 EUR at the stored rate, not Stripe's 0.2
    assert donation.appeal_amount_minor == 5_000
    assert_ledger_agrees()


def test_without_a_stored_rate_the_fee_is_converted_at_stripes(client, appeal, stripe_stub):
    donation = factories.DonationFactory(
        appeal=appeal, amount_minor=5_000, currency="EUR", method="card"
    )
    # A EUR gift settled in GBP (no GBP rate stored): Stripe's rate 0.8 GBP per EUR.
    intent = paid_intent(
        stripe_stub, 5_000, "EUR", fee=80, balance_currency="GBP", exchange_rate=0.8
    )
    signed_post(
        client, event("checkout.session.completed", checkout_session(donation, intent=intent))
    )
    assert reload(donation).fee_minor == 100


def test_a_sepa_debit_stays_pending_until_it_succeeds_or_fails(
    client, appeal, pending, stripe_stub
):
    donation = pending()
    intent = paid_intent(stripe_stub, 5_000, "EUR", method="sepa_debit", fee=35)
    session = checkout_session(donation, intent=intent, payment_status="unpaid")
    response = signed_post(client, event("checkout.session.completed", session))
    assert response.get_json()["outcome"] == "pending"
    assert reload(donation).status == DonationStatus.PENDING
    assert raised(appeal) == 0
    session["payment_status"] = "paid"
    response = signed_post(client, event("checkout.session.async_payment_succeeded", session))
    assert response.get_json()["outcome"] == "confirmed"
    donation = reload(donation)
    assert (donation.status, donation.method, donation.fee_minor) == ("confirmed", "sepa_debit", 35)

    failing = pending()
    session = checkout_session(failing, payment_status="unpaid")
    signed_post(client, event("checkout.session.completed", session))
    response = signed_post(client, event("checkout.session.async_payment_failed", session))
    assert response.get_json()["outcome"] == "failed"
    assert reload(failing).status == DonationStatus.FAILED
    assert raised(appeal) == 5_000
    assert_ledger_agrees()


def test_events_about_other_payments_are_acknowledged_and_ignored(client, stripe_stub):
    foreign = {"id": "cs_test_foreign", "object": "checkout.session", "metadata": {}}
    response = signed_post(client, event("checkout.session.completed", foreign))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored: not a gift"
    response = signed_post(client, event("payout.paid", {"id": "po_1"}))
    assert response.get_json()["outcome"] == "ignored"


def test_a_checkout_event_naming_no_gift_is_recorded_once(client, stripe_stub):
    # On PostgreSQL the event's record reads the gift its metadata names in one statement:
    # when it names none, the event is still recorded, and its replay is a duplicate.
    unknown = {
        "id": "cs_test_unknown",
        "object": "checkout.session",
        "metadata": {stripe_api.METADATA_KEY: "no-such-gift"},
        "payment_status": "paid",
    }
    completed = event("checkout.session.completed", unknown)
    first, again = signed_post(client, completed), signed_post(client, completed)
    assert first.get_json()["outcome"] == "ignored: not a gift"
    assert again.get_json()["outcome"] == "duplicate"
    assert count(ProviderEvent) == 1
    not_an_object = signed_post(client, event("checkout.session.completed", "cs_test_x"))
    assert not_an_object.status_code == 422
    assert count(ProviderEvent) == 1


# Refunds and disputes ----------------------------------------------------------------------


def confirm(client, donation, stripe_stub, **intent_kwargs):
    intent = paid_intent(stripe_stub, donation.amount_minor, donation.currency, **intent_kwargs)
    session = checkout_session(donation, intent=intent)
    assert signed_post(client, event("checkout.session.completed", session)).status_code == 200
    return intent


def refunded(intent, total):
    charge = dict(intent["latest_charge"])
    charge.pop("balance_transaction")
    charge["amount_refunded"] = total
    charge["refunded"] = total == charge["amount"]
    return event("charge.refunded", charge)


def test_partial_and_full_refunds_take_the_gift_back_and_the_ledger_agrees(
    client, appeal, pending, stripe_stub
):
    donation = pending(amount_minor=10_000)
    intent = confirm(client, donation, stripe_stub)
    assert raised(appeal) == 10_000
    first = refunded(intent, 2_500)
    assert signed_post(client, first).get_json()["outcome"] == "refunded"
    assert raised(appeal) == 7_500
    assert reload(donation).status == DonationStatus.CONFIRMED  # partly refunded
    assert signed_post(client, first).get_json()["outcome"] == "duplicate"
    # The same total told again under a new event id is still one refund.
    assert signed_post(client, refunded(intent, 2_500)).get_json()["outcome"] == (
        "already refunded"
    )
    assert signed_post(client, refunded(intent, 10_000)).get_json()["outcome"] == "refunded"
    assert raised(appeal) == 0
    donation = reload(donation)
    assert (donation.status, donation.reversed_minor) == ("refunded", 10_000)
    assert_ledger_agrees()


def test_a_refund_before_the_confirmation_is_retried_later(client, appeal, pending, stripe_stub):
    donation = pending()
    intent = paid_intent(
        stripe_stub, 5_000, "EUR", metadata={"donation": donation.public_id}, fee=100
    )
    early = refunded(intent, 5_000)
    response = signed_post(client, early)
    assert response.status_code == 409
    assert response.get_json()["error"] == "not yet"
    assert count(ProviderEvent) == 0  # rolled back: Stripe's retry is handled afresh
    session = checkout_session(donation, intent=intent)
    assert signed_post(client, event("checkout.session.completed", session)).status_code == 200
    assert signed_post(client, early).get_json()["outcome"] == "refunded"
    assert raised(appeal) == 0
    assert_ledger_agrees()


def test_a_dispute_is_a_chargeback_with_its_fee(client, appeal, pending, stripe_stub):
    donation = pending(amount_minor=8_000)
    intent = confirm(client, donation, stripe_stub, fee=150)
    dispute = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 8_000,
        "currency": "eur",
        "charge": intent["latest_charge"]["id"],
        "payment_intent": intent["id"],
        "balance_transactions": [
            {"id": "txn_dispute", "amount": -9_500, "currency": "eur", "fee": 1_500}
        ],
    }
    created = event("charge.dispute.created", dispute)
    assert signed_post(client, created).get_json()["outcome"] == "disputed"
    assert signed_post(client, created).get_json()["outcome"] == "duplicate"
    again = event("charge.dispute.created", dispute)
    assert signed_post(client, again).get_json()["outcome"] == "already disputed"
    donation = reload(donation)
    assert (donation.status, donation.reversed_minor) == ("disputed", 8_000)
    assert raised(appeal) == 0
    (row,) = db.session.scalars(select(Payment).where(Payment.kind == "dispute"))
    assert row.fee_minor == 1_500
    assert_ledger_agrees()


# Monthly gifts -----------------------------------------------------------------------------


def subscription(stub, donation, subscription_id="sub_test_1"):
    return stub.put(
        {
            "id": subscription_id,
            "object": "subscription",
            "status": "active",
            "metadata": {"donation": donation.public_id},
        }
    )


def test_monthly_gift_renewals_cancellation_and_the_receipts_link(
    app, client, browser, appeal, pending, stripe_stub
):
    donation = pending(amount_minor=2_000, frequency="monthly")
    sub = subscription(stripe_stub, donation)
    meta = {"donation": donation.public_id}
    first_intent = paid_intent(stripe_stub, 2_000, "EUR", fee=55)
    first = invoice(
        stripe_stub,
        "in_test_1",
        sub["id"],
        first_intent,
        billing_reason="subscription_create",
        metadata=meta,
    )
    session = checkout_session(donation, subscription=sub["id"], invoice=first["id"])
    response = signed_post(client, event("checkout.session.completed", session))
    assert response.get_json()["outcome"] == "confirmed"
    plan = db.session.scalars(select(RecurringPlan)).one()
    assert (plan.external_id, plan.amount_minor, plan.active) == ("sub_test_1", 2_000, True)
    donation = reload(donation)
    assert donation.recurring_plan_id == plan.id and donation.fee_minor == 55
    # The first invoice is the checkout's gift, not a second one.
    paid_first = signed_post(client, event("invoice.paid", first))
    assert paid_first.get_json()["outcome"] == "already confirmed"
    assert count(Donation) == 1

    # Each renewal is its own confirmed gift, once however often it is told.
    for number in (2, 3):
        renewal_intent = paid_intent(stripe_stub, 2_000, "EUR", fee=55)
        renewal = invoice(
            stripe_stub,
            f"in_test_{number}",
            sub["id"],
            renewal_intent,
            billing_reason="subscription_cycle",
            metadata=meta,
        )
        paid = event("invoice.paid", renewal)
        assert signed_post(client, paid).get_json()["outcome"] == "confirmed"
        assert signed_post(client, paid).get_json()["outcome"] == "duplicate"
        again = event("invoice.paid", renewal)
        assert signed_post(client, again).get_json()["outcome"] == "already confirmed"
    gifts = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [g.status for g in gifts] == ["confirmed"] * 3
    assert {g.recurring_plan_id for g in gifts} == {plan.id}
    assert raised(appeal) == 6_000

    # The receipt (sent by the eager worker when the renewal was committed) carries the
    # signed cancel link; GET only shows the button.
    body = mail_text(sent_mail(app)[-1])
    link = next(line for line in body.splitlines() if "/giving/monthly/" in line).strip()
    path = link.removeprefix("http://ngo.test")
    page = browser().get(path)
    assert page.status_code == 200
    assert "Cancel my monthly gift" in page.text
    assert reload(donation) and db.session.get(RecurringPlan, plan.id).active
    assert stripe_stub.calls("DELETE", "/v1/subscriptions/") == []
    assert browser().get(path.replace("/cancel", "x/cancel")).status_code == 404
    done = browser().post(path)
    assert done.status_code == 200
    assert "Your monthly gift is cancelled." in done.text
    (cancel,) = stripe_stub.calls("DELETE", "/v1/subscriptions/sub_test_1")
    assert cancel.authorization == "Bearer sk_test_stub"
    db.session.expire_all()
    assert not db.session.get(RecurringPlan, plan.id).active
    # Stripe's own event afterwards finds it cancelled; the link says so.
    sub["status"] = "canceled"
    deleted = signed_post(client, event("customer.subscription.deleted", sub))
    assert deleted.get_json()["outcome"] == "already cancelled"
    assert "was cancelled before" in browser().get(path).text
    # Once in the audit log, under the plan's first gift, by the donor's link.
    assert _plan_endings(app, donation) == [
        "The donor ended the monthly gift of a €20 gift to Alexander's appeal with the link "
        "in a receipt"
    ]
    assert_ledger_agrees()


def _plan_endings(app, donation) -> list[str]:
    ended = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "donation.monthly_cancelled")
        .order_by(AuditEvent.seq)
    ).all()
    assert {(e.object_type, e.object_id, e.actor_id) for e in ended} <= {
        ("donation", str(donation.id), None)
    }
    with app.test_request_context():
        rows = audit_reading.readable_events(ended, donation.organisation_id)
    return [row.sentence for row in rows]


def test_a_first_invoice_before_the_checkout_event_confirms_one_gift(
    client, appeal, pending, stripe_stub
):
    donation = pending(amount_minor=3_000, frequency="monthly")
    sub = subscription(stripe_stub, donation, "sub_test_early")
    intent = paid_intent(stripe_stub, 3_000, "EUR")
    first = invoice(
        stripe_stub, "in_test_early", sub["id"], intent, billing_reason="subscription_create"
    )
    # No metadata on the invoice: the subscription (asked of Stripe) names the gift.
    response = signed_post(client, event("invoice.paid", first))
    assert response.get_json()["outcome"] == "confirmed"
    session = checkout_session(donation, subscription=sub["id"], invoice=first["id"])
    later = signed_post(client, event("checkout.session.completed", session))
    assert later.get_json()["outcome"] == "already confirmed"
    assert count(Donation) == 1
    assert count(RecurringPlan) == 1
    assert raised(appeal) == 3_000
    assert_ledger_agrees()


def test_a_subscription_ended_by_stripe_cancels_the_plan(app, client, pending, stripe_stub):
    donation = pending(amount_minor=2_000, frequency="monthly")
    sub = subscription(stripe_stub, donation, "sub_test_end")
    early = signed_post(client, event("customer.subscription.deleted", sub))
    assert early.status_code == 409  # its checkout is not known yet
    intent = paid_intent(stripe_stub, 2_000, "EUR")
    first = invoice(
        stripe_stub, "in_test_end", sub["id"], intent, billing_reason="subscription_create"
    )
    session = checkout_session(donation, subscription=sub["id"], invoice=first["id"])
    signed_post(client, event("checkout.session.completed", session))
    assert signed_post(client, event("customer.subscription.deleted", sub)).get_json() == {
        "received": True,
        "outcome": "cancelled",
    }
    assert not db.session.scalars(select(RecurringPlan)).one().active
    assert _plan_endings(app, donation) == [
        "Stripe reported that the monthly gift of a €20 gift to Alexander's appeal ended"
    ]


def test_no_ip_address_user_agent_or_card_detail_is_stored(client, pending, stripe_stub):
    donation = pending()
    intent = paid_intent(stripe_stub, 5_000, "EUR")
    intent["latest_charge"]["payment_method_details"]["card"] = {"last4": "4242", "brand": "visa"}
    session = checkout_session(donation, intent=intent)
    signed_post(client, event("checkout.session.completed", session))
    dump = "\n".join(
        str(row)
        for table in ("donations", "payments", "provider_events", "donors")
        for row in db.session.execute(db.text(f"SELECT * FROM {table}"))  # noqa: S608
    )
    for value in ("4242", "visa", "127.0.0.1", "werkzeug"):
        # As a value of its own: hashes and ciphertext hold any run of digits and letters.
        stored = re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", dump)
        assert stored is None, (
            f"{value!r} stored: {dump[max(stored.start() - 40, 0) : stored.end() + 40]!r}"
        )
