"""Every way a gift's money moves leaves an audit event on the gift, so that its case's History
tab and the audit log show it: Stripe's confirmation, failure, refund and dispute (the webhook
is the actor, written as one INSERT in the event's transaction), a bank statement's line
matched on import (the treasurer who imported is the actor) and a queued line a treasurer
assigned. The events hold ids, amounts and kinds, never the donor's name or e-mail, nor the
payer or remittance text of a statement line; the chain they are written into still
verifies."""

from __future__ import annotations

import json

from sqlalchemy import select

from ngo import audit, deferred_writes
from ngo.audit import AuditEvent
from ngo.cases.models import Beneficiary
from ngo.donations.ledger import LEDGER_LOG
from ngo.donations.models import Donation, StatementLine
from ngo.donations.reconciliation import assign_line
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.donations.stripe_fixtures import checkout_session, paid_intent
from tests.donations.stripe_stub import event, signed_post
from tests.donations.test_statement_import import SPARKASSE, account, run
from tests.donations.test_stripe_webhooks import (
    app_config,
    confirm,
    pending,
    refunded,
    stripe_server,
    stripe_stub,
)
from tests.helpers import counted_statements

__all__ = ["account", "app_config", "pending", "stripe_server", "stripe_stub"]  # fixtures

DONOR_NAME = "Marta Nowak"


def _history(client, user, appeal) -> str:
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    login(client, user)
    response = client.get(f"/cases/{case.reference}/history")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&amp;", "&")


def _gift_events(donation: Donation) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "donation", AuditEvent.object_id == str(donation.id))
            .order_by(AuditEvent.seq)
        )
    )


def _named_donor(appeal, **kwargs) -> Donation:
    donor = factories.DonorFactory(
        organisation_id=appeal.organisation_id, name=DONOR_NAME, email="marta@example.org"
    )
    donation: Donation = factories.DonationFactory(
        appeal=appeal, donor=donor, method="card", **kwargs
    )
    return donation


def _nothing_personal(events: list[AuditEvent], *texts: str) -> None:
    stored = json.dumps([[e.action, e.object_type, e.object_id, e.details] for e in events])
    for text in (DONOR_NAME, "Marta", "marta@example.org", *texts):
        assert text not in stored


def test_stripe_confirms_refunds_and_the_history_says_so(client, staff, appeal, stripe_stub):
    donation = _named_donor(appeal, amount_minor=10_000)
    db.session.commit()
    intent = confirm(client, donation, stripe_stub, fee=163)
    (confirmed,) = _gift_events(donation)
    assert (confirmed.action, confirmed.actor_id) == ("donation.confirmed", None)
    assert confirmed.organisation_id == appeal.organisation_id
    assert confirmed.details == {"via": "stripe", "method": "card"}

    assert signed_post(client, refunded(intent, 2_500)).get_json()["outcome"] == "refunded"
    # A replay and the same total under a new event id change nothing, nor record anything.
    assert signed_post(client, refunded(intent, 2_500)).get_json()["outcome"] == (
        "already refunded"
    )
    assert signed_post(client, refunded(intent, 10_000)).get_json()["outcome"] == "refunded"
    events = _gift_events(donation)
    assert [(e.action, e.details.get("amount_minor"), e.details.get("status")) for e in events] == [
        ("donation.confirmed", None, None),
        ("donation.refunded", 2_500, "confirmed"),
        ("donation.refunded", 7_500, "refunded"),
    ]
    assert all(e.actor_id is None and e.details["via"] == "stripe" for e in events)
    _nothing_personal(events)
    assert audit.verify_chain().ok

    page = _history(client, staff["caseworker"], appeal)
    gift = "a €100 gift to Alexander's appeal"
    sentences = [
        f"Stripe refunded €75 of {gift}",
        f"Stripe refunded €25 of {gift}",
        f"Stripe confirmed the payment of {gift}",
    ]
    places = [page.find(sentence) for sentence in sentences]
    assert -1 not in places, [s for s, p in zip(sentences, places, strict=True) if p == -1]
    assert places == sorted(places)  # newest first
    assert "Marta" not in page and "marta@example.org" not in page


def test_a_dispute_and_a_failed_payment_are_recorded(client, staff, appeal, pending, stripe_stub):
    disputed = pending(amount_minor=8_000)
    db.session.commit()
    intent = confirm(client, disputed, stripe_stub, fee=150)
    dispute = {
        "id": "dp_test_audit",
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
    *_, last = _gift_events(disputed)
    assert (last.action, last.actor_id) == ("donation.disputed", None)
    assert last.details == {
        "via": "stripe",
        "amount_minor": 8_000,
        "currency": "EUR",
        "status": "disputed",
        "fee_minor": 1_500,
    }

    failing = pending()
    db.session.commit()
    session = checkout_session(failing, payment_status="unpaid")
    assert signed_post(client, event("checkout.session.completed", session)).get_json() == {
        "received": True,
        "outcome": "pending",
    }
    assert _gift_events(failing) == []  # waiting for the bank is not an event yet
    failed = signed_post(client, event("checkout.session.async_payment_failed", session))
    assert failed.get_json()["outcome"] == "failed"
    assert [e.action for e in _gift_events(failing)] == ["donation.failed"]
    assert len(_gift_events(disputed)) == 2
    assert audit.verify_chain().ok

    page = _history(client, staff["caseworker"], appeal)
    assert "Stripe reported a dispute over €80 of a €80 gift to Alexander's appeal" in page
    assert "Stripe reported that the payment of a €50 gift to Alexander's appeal failed" in page


def test_the_webhook_writes_its_audit_event_as_one_insert(client, appeal, pending, stripe_stub):
    donation = pending()
    # The logs' head rows, as a migrated database has them (a schema made from the models
    # writes each on its log's first append).
    for log in (audit.AUDIT_LOG, LEDGER_LOG):
        log.take_head(db.session.connection())
    db.session.commit()
    # A commit forgets the heads the transaction locked; the tests' commit releases a
    # savepoint of the test's transaction instead, so forget them as a real one does.
    deferred_writes.transaction_state(db.session.connection()).clear()
    intent = paid_intent(stripe_stub, 5_000, "EUR", fee=100)
    completed = event("checkout.session.completed", checkout_session(donation, intent=intent))
    with counted_statements() as statements:
        response = signed_post(client, completed)
    assert response.get_json()["outcome"] == "confirmed"
    # The webhook's own statements: those of the outbox's delivery (in-process here) follow.
    delivery = next(i for i, s in enumerate(statements) if s.startswith("UPDATE outbox_messages"))
    statements = statements[:delivery]
    # One INSERT (on PostgreSQL a CTE of the statement that sends the deferred writes).
    audit_writes = [s for s in statements if "INSERT INTO audit_events" in s]
    assert len(audit_writes) == 1
    # No model was built and flushed for it. On PostgreSQL no entry is read for the head: the
    # ledger's and the audit log's head rows are locked together, in one statement; SQLite
    # reads each log's head from its newest entry, once.
    if db.engine.dialect.name == "postgresql":
        heads = [s for s in statements if "FROM chain_heads" in s]
        assert len(heads) == 1
        assert "FOR UPDATE" in heads[0]
        assert not [s for s in statements if "FROM audit_events" in s]
    else:
        assert not [s for s in statements if "chain_heads" in s]
        heads = [s for s in statements if "FROM audit_events ORDER BY" in s]
        assert len(heads) == 1
    assert [e.action for e in _gift_events(donation)] == ["donation.confirmed"]


def test_a_gift_matched_on_import_is_the_importers_and_shows_on_the_history(
    client, staff, appeal, account
):
    gift = factories.DonationFactory(appeal=appeal, reference_code="392R-VV4T", amount_minor=5_000)
    result = run(SPARKASSE, staff["treasurer"])
    assert result.matched == 1
    db.session.commit()
    (matched,) = _gift_events(gift)
    line = db.session.scalars(
        select(StatementLine).where(StatementLine.donation_id == gift.id)
    ).one()
    assert (matched.action, matched.actor_id) == ("donation.matched", staff["treasurer"].id)
    assert matched.details == {"statement_import_id": line.import_id, "statement_line_id": line.id}
    # The payer and the remittance text are the bank's words about the donor: never logged.
    _nothing_personal([matched], "Erika", "Mustermann", "Spende")
    assert audit.verify_chain().ok

    page = _history(client, staff["caseworker"], appeal)
    treasurer = staff["treasurer"].display_name
    assert f"{treasurer} confirmed a €50 gift to Alexander's appeal from a bank statement" in page
    assert "Erika" not in page and "Mustermann" not in page


def test_a_queued_line_assigned_to_the_appeal_shows_on_its_history(client, staff, appeal, account):
    run(SPARKASSE, staff["treasurer"])  # no gift waits: the credits are queued
    line = db.session.scalars(
        select(StatementLine).where(StatementLine.amount_minor == 5_000).order_by(StatementLine.id)
    ).first()
    assert line is not None
    assign_line(line, appeal, staff["treasurer"])
    db.session.commit()
    page = _history(client, staff["caseworker"], appeal)
    treasurer = staff["treasurer"].display_name
    assert f"{treasurer} assigned the statement line of €50 booked on" in page
    assert "Erika" not in page and "Mustermann" not in page
