"""Confirming and taking back gifts: the ledger, the counters and the receipt's outbox row move
together, and `ledger verify` finds any difference between them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update

from ngo import signals
from ngo.campaigns.models import Appeal, BudgetLine, OverfundingPolicy
from ngo.donations import chart, ledger, receipt_codes
from ngo.donations.confirmation import (
    RECEIPT_KIND,
    DonationStateError,
    confirm_donation,
    reverse_donation,
)
from ngo.donations.ledger import LedgerAppendOnlyError, account_balances
from ngo.donations.models import DonationStatus, JournalLine, LedgerTransaction
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from tests import factories
from tests.conftest import mail_text, readable_mail, sent_mail


def lines_of(appeal):
    db.session.expire_all()
    # 1 rent, 2 necessities, 3 food (essential), 4 retraining (stretch), in the order added.
    lines = sorted(db.session.get(Appeal, appeal.id).budget_lines, key=lambda line: line.id)
    return dict(enumerate(lines, start=1))


def assert_ledger_agrees():
    report = ledger.verify()
    assert report.ok, (
        report.chain.problem,
        report.unbalanced_transactions,
        report.counter_differences,
    )


def test_a_confirmed_gift_moves_the_counters_with_one_balanced_transaction(appeal, give):
    donation = give(23_100)
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.raised_minor == 23_100
    assert lines_of(appeal)[1].funded_minor == 23_100  # rent first: the priority rule
    transactions = db.session.scalars(select(LedgerTransaction)).all()
    assert [t.kind for t in transactions] == ["donation"]
    assert sum(line.amount_minor for line in transactions[0].lines) == 0
    assert donation.status == DonationStatus.CONFIRMED
    assert_ledger_agrees()


def test_the_fee_is_recorded_and_the_lines_get_what_arrived(appeal, give):
    give(10_000, fee=320)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 10_000
    assert lines_of(appeal)[1].funded_minor == 9_680
    balances = account_balances(appeal_id=appeal.id)
    assert balances[(chart.appeal_fees(appeal.id), "EUR")] == -320
    assert account_balances()[(chart.fees("card"), "EUR")] == 320
    assert_ledger_agrees()


def test_a_designated_gift_funds_its_line(appeal, give):
    food = lines_of(appeal)[3]
    give(5_000, line=food)
    assert lines_of(appeal)[3].funded_minor == 5_000
    assert lines_of(appeal)[1].funded_minor == 0


def test_on_postgresql_a_gift_takes_three_statements_and_its_writes_go_with_the_next(appeal, give):
    """The appeal's lock, the claim with the lines, the chains' heads; the outbox row, the
    ledger's rows and the counters wait for the next statement (here the commit's)."""
    from ngo import deferred_writes
    from tests.helpers import counted_statements

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes each at once")
    give(1_000)  # the ledger's first entry: its head row is made (a schema from the models)
    db.session.commit()
    donation = factories.DonationFactory(appeal=appeal, amount_minor=5_000, method="card")
    db.session.commit()
    db.session.refresh(donation)  # as a webhook holds it, read
    with counted_statements() as statements:
        assert confirm_donation(donation)
    assert len(statements) == 2, statements
    assert statements[1].lstrip().startswith("WITH claim AS")
    assert "FROM chain_heads" in statements[1]
    assert deferred_writes.queued(db.session.connection()) >= 4
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 6_000
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == RECEIPT_KIND)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    assert [message.payload for message in messages] == [{"donation_id": donation.id}]
    assert_ledger_agrees()


def test_confirming_twice_changes_nothing(appeal, give):
    donation = give(5_000)
    assert confirm_donation(donation) is False
    assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 1
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds.count(RECEIPT_KIND) == 1
    assert db.session.get(Appeal, appeal.id).raised_minor == 5_000


def test_the_signal_names_the_gift(appeal):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    donation = factories.DonationFactory(appeal=appeal)
    with signals.donation_confirmed.connected_to(receiver):
        confirm_donation(donation, actor_id=None)
    assert seen == [(donation, {"actor_id": None})]


def test_bad_confirmations_are_refused_and_record_nothing(appeal):
    donation = factories.DonationFactory(appeal=appeal, amount_minor=1_000)
    with pytest.raises(DonationStateError):
        confirm_donation(donation, fee_minor=1_001)
    donation.status = DonationStatus.FAILED.value
    with pytest.raises(DonationStateError):
        confirm_donation(donation)
    assert db.session.scalar(select(func.count(LedgerTransaction.id))) == 0
    assert db.session.get(Appeal, appeal.id).raised_minor == 0


def test_a_full_refund_brings_every_figure_back(appeal, give):
    donation = give(250_000, fee=500)
    assert reverse_donation(donation, 250_000, kind="refund")
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert all(line.funded_minor == 0 for line in lines_of(appeal).values())
    assert donation.status == DonationStatus.REFUNDED
    assert reverse_donation(donation, 1, kind="refund") is False
    assert_ledger_agrees()


def test_refunds_in_parts_end_exactly_at_zero(appeal, give):
    donation = give(10_001, fee=37)
    for part in (3_333, 3_333, 3_335):
        reverse_donation(donation, part, kind="refund")
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert donation.status == DonationStatus.REFUNDED
    assert_ledger_agrees()


def test_a_chargeback_with_its_dispute_fee(appeal, give):
    donation = give(5_000)
    assert reverse_donation(donation, 5_000, kind="chargeback", extra_fee_minor=1_500)
    assert donation.status == DonationStatus.DISPUTED
    assert account_balances()[(chart.fees("card"), "EUR")] == 1_500
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert_ledger_agrees()


def test_gifts_after_giving_closed_are_held_for_the_appeal(appeal, give):
    appeal.overfunding_policy = OverfundingPolicy.STOP.value
    give(400_000)
    balances = account_balances(appeal_id=appeal.id)
    assert balances[(chart.appeal_reserve(appeal.id), "EUR")] == -20_000  # 380,000 essential
    assert lines_of(appeal)[4].funded_minor == 0
    assert db.session.get(Appeal, appeal.id).raised_minor == 400_000
    assert_ledger_agrees()


def test_the_ledger_is_append_only(appeal, give):
    give(5_000)
    journal_line = db.session.scalars(select(JournalLine)).first()
    journal_line.amount_minor += 1
    with pytest.raises(LedgerAppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_verify_finds_a_changed_counter(appeal, give):
    give(5_000)
    db.session.execute(
        update(BudgetLine).where(BudgetLine.appeal_id == appeal.id).values(spent_minor=1)
    )
    report = ledger.verify()
    assert not report.ok
    assert any("spent is 1, the journal holds 0" in d for d in report.counter_differences)


def test_verify_finds_a_journal_rewritten_behind_the_application(appeal, give):
    give(5_000)
    give(7_000)
    # Someone with the database but not the key moves money between lines and keeps it
    # balanced: the counters could be made to agree, the chain cannot.
    first = db.session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.seq)).first()
    one, other = sorted(line.id for line in first.lines)[:2]
    change = "UPDATE journal_lines SET amount_minor = amount_minor + :d WHERE id = :id"
    db.session.execute(text(change), {"d": -1, "id": one})
    db.session.execute(text(change), {"d": 1, "id": other})
    db.session.expire_all()
    report = ledger.verify()
    assert not report.chain.ok
    assert report.chain.broken_at_seq == first.seq


def test_the_ledger_cli(app, appeal, give):
    give(5_000)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["ledger", "verify"])
    assert good.exit_code == 0, good.output
    assert "Ledger intact: 1 transactions" in good.output
    checkpoint = runner.invoke(args=["ledger", "checkpoint"])
    assert checkpoint.exit_code == 0, checkpoint.output
    line = checkpoint.output.strip().splitlines()[-1]
    assert runner.invoke(args=["ledger", "verify", "--checkpoint", line]).exit_code == 0
    db.session.execute(update(Appeal).where(Appeal.id == appeal.id).values(raised_minor=1))
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1
    assert f"appeal {appeal.id}: raised is 1, the journal holds 5000" in bad.output


def test_the_receipt_code_finds_the_gift_and_its_hash_is_public(appeal, give):
    donation = give(5_000)
    code = donation.receipt_code
    assert receipt_codes.looks_like_a_code(code)
    assert donation.receipt_code_hash == receipt_codes.public_hash(donation.public_id, code.lower())
    assert donation.receipt_code_lookup == receipt_codes.lookup_key(code.replace("-", " "))
    raw = db.session.execute(text("SELECT receipt_code FROM donations")).scalar_one()
    assert code.encode() not in raw  # encrypted at rest


def test_the_confirmation_mail_says_what_was_given_and_names_no_one(app, appeal, give):
    donation = give(5_000, fee=100)
    db.session.commit()  # the outbox hands the receipt to the (eager) worker
    (message,) = sent_mail(app)
    body = mail_text(message)
    assert "€50.00" in body
    assert donation.receipt_code in body
    assert message["To"] == donation.donor.email
    assert "Anna" not in readable_mail(message)


def test_a_gift_leaves_the_public_site_version_alone(appeal, give):
    """Pages keep their cache while money moves; figures are at most PUBLIC_CACHE_SECONDS old."""
    from ngo.campaigns.visibility import public_version

    db.session.commit()
    before = public_version()[0]
    give(5_000)
    db.session.commit()
    assert public_version()[0] == before


def test_what_the_caller_set_before_confirming_is_kept(appeal, staff):
    donation = factories.DonationFactory(appeal=appeal)
    donation.approved_by_id = staff["treasurer"].id
    confirm_donation(donation)
    db.session.expire_all()
    assert donation.approved_by_id == staff["treasurer"].id


def test_a_gift_in_another_currency_is_converted_at_a_stored_rate(appeal):
    from datetime import date
    from decimal import Decimal

    from ngo.donations.models import ExchangeRate

    db.session.add(
        ExchangeRate(currency="PLN", rate=Decimal("4.2500"), rate_date=date.today(), source="ecb")
    )
    donation = factories.DonationFactory(appeal=appeal, amount_minor=21_250, currency="PLN")
    confirm_donation(donation, fee_minor=425)
    assert (donation.appeal_amount_minor, donation.rate, donation.rate_source) == (
        5_000,
        "0.23529411764705882353",
        "ecb",
    )
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 5_000
    assert lines_of(appeal)[1].funded_minor == 4_900  # 208.25 PLN arrived after the fee
    balances = account_balances()
    assert balances[(chart.FX, "PLN")] == -21_250
    assert balances[(chart.FX, "EUR")] == 5_000
    assert_ledger_agrees()
    assert reverse_donation(donation, 21_250, kind="refund")
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert_ledger_agrees()


def test_a_refund_after_the_money_moved_to_another_line_takes_the_rest_from_the_reserve(
    appeal, give
):
    from ngo.campaigns import funding

    rent, food = lines_of(appeal)[1], lines_of(appeal)[3]
    donation = give(5_000)
    # A treasurer moved 30.00 of the gift from rent to food (as donations.reallocation does).
    funding.lock_for_money(appeal.id)
    ledger.post(
        organisation_id=appeal.organisation_id,
        kind="reallocation",
        appeal_id=appeal.id,
        postings=[
            ledger.Posting(chart.line_fund(rent.id), 3_000, "EUR", appeal.id, rent.id),
            ledger.Posting(chart.line_fund(food.id), -3_000, "EUR", appeal.id, food.id),
        ],
    )
    funding.move_counters(
        db.session.get(Appeal, appeal.id), funded={rent.id: -3_000, food.id: 3_000}
    )
    assert reverse_donation(donation, 5_000, kind="refund")
    assert lines_of(appeal)[1].funded_minor == 0
    assert lines_of(appeal)[3].funded_minor == 3_000
    balances = account_balances(appeal_id=appeal.id)
    assert balances[(chart.appeal_reserve(appeal.id), "EUR")] == 3_000  # owed by the appeal
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert_ledger_agrees()
