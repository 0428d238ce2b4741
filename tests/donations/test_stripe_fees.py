"""The fee Stripe charged, settled by the worker after the webhook confirmed the gift: the
webhook asks Stripe nothing, the gift holds back the expected fee (or what its donor added to
cover it) until then, the ledger agrees before and after, a second run posts nothing, Stripe's
errors are retried or shown as dead work, and refunds before the fee still add up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ngo import outbox
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations import chart, fee_settlement, fees, ledger, public_ledger, stripe_settle
from ngo.donations.models import Donation, DonationStatus, JournalLine, LedgerTransaction
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login
from tests.donations.stripe_fixtures import (
    checkout_session,
    paid_intent,
    stripe_config,
    stripe_server,
    stripe_stub,
)
from tests.donations.stripe_stub import event, signed_post
from tests.helpers import page_text

__all__ = ["stripe_server", "stripe_stub"]  # fixtures used by name

STRIPE_DOWN = (503, {"error": {"type": "api_error", "message": "Stripe is down"}})


@pytest.fixture
def app_config(stripe_server):
    return stripe_config(stripe_server)


def reload(donation) -> Donation:
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def funded(appeal) -> int:
    db.session.expire_all()
    return sum(
        db.session.scalars(select(BudgetLine.funded_minor).where(BudgetLine.appeal_id == appeal.id))
    )


def raised(appeal) -> int:
    db.session.expire_all()
    return db.session.get(Appeal, appeal.id).raised_minor


def balance(account: str, donation=None) -> int:
    query = select(func.coalesce(func.sum(JournalLine.amount_minor), 0)).where(
        JournalLine.account == account
    )
    if donation is not None:
        query = query.join(LedgerTransaction).where(LedgerTransaction.donation_id == donation.id)
    return int(db.session.scalar(query))


def fee_transactions(donation) -> int:
    return db.session.scalar(
        select(func.count()).where(
            LedgerTransaction.donation_id == donation.id, LedgerTransaction.kind == "fee"
        )
    )


def assert_ledger_agrees():
    report = ledger.verify()
    assert report.ok, (report.chain.problem, report.unbalanced_transactions)
    assert not report.counter_differences, report.counter_differences


def fee_message() -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == stripe_settle.FEE_KIND)
    ).one()


def deliver_again(message: OutboxMessage) -> bool:
    """The retry the outbox schedules, run now."""
    message.due_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return outbox.deliver(message.id)


def gift(appeal, amount_minor=5_000, currency="EUR", **kwargs) -> Donation:
    return factories.DonationFactory(
        appeal=appeal, amount_minor=amount_minor, currency=currency, method="card", **kwargs
    )


def confirm(client, donation, stub, **intent_kwargs):
    intent = paid_intent(stub, donation.amount_minor, donation.currency, **intent_kwargs)
    session = checkout_session(donation, intent=intent)
    response = signed_post(client, event("checkout.session.completed", session))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "confirmed"
    return intent


def test_the_webhook_confirms_while_stripe_is_down_and_the_fee_follows(client, appeal, stripe_stub):
    donation = gift(appeal)
    stripe_stub.failures["/v1/payment_intents/"] = STRIPE_DOWN
    intent = confirm(client, donation, stripe_stub, fee=163)
    # Confirmed without Stripe: the whole gift raised, the fee the rule expects (1.5 % +
    # 0.25 of 50.00: 1.00) held back from the lines, no fee posted yet.
    donation = reload(donation)
    assert donation.status == DonationStatus.CONFIRMED and donation.fee_minor == 0
    assert fees.estimated_fee(5_000, "EUR") == 100
    assert (raised(appeal), funded(appeal)) == (5_000, 4_900)
    assert balance(chart.appeal_fee_pending(appeal.id)) == -100
    assert fee_transactions(donation) == 0
    # Only the worker asked Stripe, once, and was told to come back: failed work, retried.
    (asked,) = stripe_stub.calls("GET", "/v1/payment_intents/")
    assert asked.values("expand") == ["latest_charge.balance_transaction"]
    message = fee_message()
    assert status_of(message) == WorkStatus.FAILED
    assert (message.last_error, message.last_error_detail) == (
        "StripeUnavailableError",
        "Stripe APIError",
    )
    assert message.due_at is not None and message.organisation_id == appeal.organisation_id
    assert_ledger_agrees()  # between the confirmation and the fee

    del stripe_stub.failures["/v1/payment_intents/"]
    assert deliver_again(message) is True
    assert status_of(fee_message()) == WorkStatus.SENT
    donation = reload(donation)
    assert (donation.fee_minor, donation.method) == (163, "card")
    # The fee Stripe charged, 1.63: 0.63 more than held, taken from what the gift funded.
    assert (raised(appeal), funded(appeal)) == (5_000, 4_837)
    assert balance(chart.appeal_fee_pending(appeal.id)) == 0
    assert balance(chart.appeal_fees(appeal.id)) == -163
    assert balance(chart.fees("card")) == 163
    assert balance(chart.clearing("card")) == 5_000 - 163
    assert fee_transactions(donation) == 1
    assert len(stripe_stub.calls("GET", f"/v1/payment_intents/{intent['id']}")) == 2
    assert_ledger_agrees()


def test_the_fee_handler_run_twice_posts_one_fee(client, appeal, stripe_stub):
    donation = gift(appeal)
    intent = confirm(client, donation, stripe_stub, fee=163)
    assert status_of(fee_message()) == WorkStatus.SENT  # the eager worker ran it
    assert (reload(donation).fee_minor, fee_transactions(donation)) == (163, 1)
    asked = len(stripe_stub.requests)
    payload = {"donation_id": donation.id, "payment_intent": intent["id"]}
    stripe_settle.settle_stripe_fee(payload)
    db.session.commit()
    assert fee_transactions(donation) == 1
    assert len(stripe_stub.requests) == asked  # settled: Stripe is not asked again
    # The ledger side alone refuses a second fee too.
    assert fee_settlement.settle_fee(reload(donation), 163) is False
    assert (raised(appeal), funded(appeal)) == (5_000, 4_837)
    assert_ledger_agrees()


def test_a_gift_whose_donor_covered_the_fee_funds_the_lines_with_the_gift(
    client, appeal, stripe_stub
):
    covered = fees.fee_to_cover(5_000, "EUR")
    assert covered == 102
    donation = gift(appeal, 5_000 + covered, fee_covered_minor=covered)
    stripe_stub.failures["/v1/payment_intents/"] = STRIPE_DOWN
    confirm(client, donation, stripe_stub, fee=90)
    # Before the fee is known the lines get what the donor meant them to: 50.00.
    assert (raised(appeal), funded(appeal)) == (5_102, 5_000)
    assert_ledger_agrees()
    del stripe_stub.failures["/v1/payment_intents/"]
    assert deliver_again(fee_message()) is True
    # Stripe charged less than the donor added: the 0.12 left goes to the lines too.
    assert (raised(appeal), funded(appeal)) == (5_102, 5_012)
    assert balance(chart.appeal_fees(appeal.id)) == -90
    assert balance(chart.appeal_fee_pending(appeal.id)) == 0
    assert reload(donation).fee_minor == 90
    assert_ledger_agrees()


def test_a_refund_before_the_fee_is_settled(client, appeal, stripe_stub):
    donation = gift(appeal, 10_000)
    stripe_stub.failures["/v1/payment_intents/"] = STRIPE_DOWN
    intent = confirm(client, donation, stripe_stub, fee=320)
    held = fees.estimated_fee(10_000, "EUR")
    assert held == 175
    charge = dict(intent["latest_charge"])
    charge.pop("balance_transaction")
    # A part first, then the rest: the refunds need nothing of Stripe's but the event.
    charge.update(amount_refunded=2_500, refunded=False)
    assert signed_post(client, event("charge.refunded", charge)).get_json()["outcome"] == (
        "refunded"
    )
    # The refund took its share of everything the gift held, the held fee included.
    still_held = -balance(chart.appeal_fee_pending(appeal.id))
    assert 0 < still_held < held
    assert (raised(appeal), funded(appeal)) == (7_500, 7_500 - still_held)
    assert_ledger_agrees()
    del stripe_stub.failures["/v1/payment_intents/"]
    assert deliver_again(fee_message()) is True
    # The gift that is left bears three quarters of the fee (2.40); Stripe kept all of it.
    assert raised(appeal) == 7_500
    assert balance(chart.appeal_fees(appeal.id)) == -240
    assert funded(appeal) == 7_500 - 240
    assert balance(chart.fees("card")) == 320
    assert balance(chart.appeal_fee_pending(appeal.id)) == 0
    assert_ledger_agrees()

    charge.update(amount_refunded=10_000, refunded=True)
    assert signed_post(client, event("charge.refunded", charge)).get_json()["outcome"] == (
        "refunded"
    )
    assert (raised(appeal), funded(appeal)) == (0, 0)
    assert reload(donation).status == DonationStatus.REFUNDED
    # Paid back in full, the fee is the organisation's cost: the clearing account is short it.
    assert balance(chart.clearing("card"), donation) == -320
    assert_ledger_agrees()


def test_a_full_refund_before_the_fee_leaves_only_the_fee_expense(client, appeal, stripe_stub):
    donation = gift(appeal)
    stripe_stub.failures["/v1/payment_intents/"] = STRIPE_DOWN
    intent = confirm(client, donation, stripe_stub, fee=163)
    charge = dict(intent["latest_charge"])
    charge.pop("balance_transaction")
    charge.update(amount_refunded=5_000, refunded=True)
    assert signed_post(client, event("charge.refunded", charge)).get_json()["outcome"] == (
        "refunded"
    )
    assert (raised(appeal), funded(appeal)) == (0, 0)
    assert_ledger_agrees()
    del stripe_stub.failures["/v1/payment_intents/"]
    assert deliver_again(fee_message()) is True
    assert (raised(appeal), funded(appeal)) == (0, 0)
    assert balance(chart.appeal_fees(appeal.id)) == 0
    assert balance(chart.fees("card"), donation) == 163
    assert balance(chart.clearing("card"), donation) == -163
    assert (reload(donation).status, reload(donation).fee_minor) == ("refunded", 163)
    assert_ledger_agrees()


def test_the_method_the_donor_used_is_learnt_with_the_fee(client, appeal, stripe_stub):
    donation = gift(appeal)
    confirm(client, donation, stripe_stub, fee=60, method="sepa_debit")
    donation = reload(donation)
    assert (donation.method, donation.fee_minor) == ("sepa_debit", 60)
    assert balance(chart.clearing("card"), donation) == 0
    assert balance(chart.clearing("sepa_debit"), donation) == 5_000 - 60
    assert balance(chart.fees("sepa_debit"), donation) == 60
    assert_ledger_agrees()


def test_a_payment_stripe_does_not_have_is_dead_work_on_the_admin_page(
    client, appeal, stripe_stub, admin
):
    donation = gift(appeal)
    intent = paid_intent(stripe_stub, 5_000, "EUR")
    stripe_stub.objects.pop(intent["id"])  # a key of another Stripe account, say
    session = checkout_session(donation, intent=intent)
    response = signed_post(client, event("checkout.session.completed", session))
    assert response.get_json()["outcome"] == "confirmed"
    message = fee_message()
    assert status_of(message) == WorkStatus.DEAD
    assert (message.last_error, message.last_error_detail) == (
        "PermanentError",
        "Stripe refused the request (resource_missing)",
    )
    # The gift stays confirmed with its fee held; the figures are true meanwhile.
    assert (raised(appeal), funded(appeal)) == (5_000, 4_900)
    assert_ledger_agrees()
    login(client, admin)
    page = client.get("/admin/work")
    assert page.status_code == 200
    assert f"<td>{message.id}</td>" in page.get_data(as_text=True)
    text = page_text(page)
    assert "Dead: will not be tried again unless retried (1)" in text
    assert "<code>PermanentError</code> Stripe refused the request (resource_missing)" in text


def test_the_public_ledger_shows_the_fee_as_its_own_movement(client, appeal, stripe_stub):
    donation = gift(appeal)
    confirm(client, donation, stripe_stub, fee=163)
    entries = public_ledger.page(db.session.get(Appeal, appeal.id)).entries
    by_kind = {entry.kind: entry for entry in entries}
    assert set(by_kind) == {"donation", "fee"}
    assert by_kind["donation"].amount.amount_minor == 5_000  # the whole gift, raised
    assert by_kind["donation"].fee.amount_minor == 163
    assert by_kind["fee"].amount.amount_minor == 163
    assert by_kind["fee"].gift_id == donation.public_id
    text = page_text(client.get(f"/appeals/{appeal.slug}/ledger"))
    assert "Payment fee" in text
