"""200 gifts to one appeal confirmed at the same moment, each in its own thread with its own
application context, session and database connection, on PostgreSQL: every counter ends exactly
equal to the journal, with one transaction per gift, and no deadlock or serialisation failure
reaches anyone (the appeal's row lock, taken first, orders them; nothing is retried here).

Part of the integration run (`make test-services`); skipped without PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from ngo.campaigns.models import Appeal, BudgetLine
from ngo.donations import ledger, stripe_events
from ngo.donations.confirmation import confirm_donation
from ngo.donations.models import Donation, DonationStatus, LedgerTransaction, ProviderEvent
from ngo.extensions import db
from ngo.unit_of_work import transaction
from tests import factories
from tests.donations.conftest import SEED_LINES
from tests.donations.stripe_fixtures import checkout_session
from tests.donations.stripe_stub import event

pytestmark = pytest.mark.integration

GIFTS = 200
THREADS = 12


def _published_appeal(organisation, staff) -> Appeal:
    """The seed person's appeal with the seed budget, published (committed by the caller:
    each thread reads it on its own connection)."""
    person = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
    return factories.AppealFactory(
        beneficiary=person,
        actor=staff["caseworker"],
        lines=SEED_LINES,
        published_by=staff["admin"],
    )


def test_concurrent_gifts_to_one_appeal_keep_the_counters_equal_to_the_ledger(
    app, organisation, staff
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL")
    appeal = _published_appeal(organisation, staff)
    amounts = [1_000 + (n * 37) % 5_000 for n in range(GIFTS)]
    ids = []
    for n, amount in enumerate(amounts):
        donation = factories.DonationFactory(
            appeal=appeal,
            amount_minor=amount,
            budget_line_id=appeal.budget_lines[n % 4].id if n % 3 == 0 else None,
            method="card",
        )
        ids.append(donation.id)
    db.session.commit()
    appeal_id = appeal.id
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def confirm(donation_id: int, first: bool) -> bool:
        with app.app_context():
            if first:
                start.wait(timeout=30)  # every thread begins at once
            try:
                with transaction():
                    donation = db.session.get(Donation, donation_id)
                    return confirm_donation(donation, fee_minor=donation.amount_minor // 50)
            except BaseException as exc:
                errors.append(exc)
                raise
            finally:
                db.session.remove()

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(confirm, ids, [n < THREADS for n in range(GIFTS)]))
    seconds = time.monotonic() - began
    assert not errors, [type(e).__name__ for e in errors]
    assert results == [True] * GIFTS

    db.session.expire_all()
    stored = db.session.get(Appeal, appeal_id)
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(Donation)
        .where(Donation.appeal_id == appeal_id, Donation.status == DonationStatus.CONFIRMED)
    )
    assert confirmed == GIFTS
    transactions = db.session.scalar(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.appeal_id == appeal_id, LedgerTransaction.kind == "donation")
    )
    assert transactions == GIFTS
    assert stored.raised_minor == sum(amounts)
    funded = db.session.scalar(
        select(func.sum(BudgetLine.funded_minor)).where(BudgetLine.appeal_id == appeal_id)
    )
    assert funded <= stored.raised_minor
    report = ledger.verify()
    assert report.ok, (
        report.chain.problem,
        report.unbalanced_transactions,
        report.counter_differences,
    )
    print(
        f"\n{GIFTS} gifts confirmed by {THREADS} threads in {seconds:.2f} s "
        f"({GIFTS / seconds:.0f} per second); ledger verify ok"
    )


def test_a_statement_paying_two_appeals_and_a_gift_to_the_second_do_not_deadlock(
    app, organisation, staff, monkeypatch
):
    """A statement whose lines pay gifts to appeals A and B, imported while a card gift to B
    holds B's lock: the import locks both appeals before its first ledger entry, so it waits
    for the gift instead of holding the ledger's lock the gift waits for (PostgreSQL would
    report a deadlock after a second and fail one of them)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the lock order test needs PostgreSQL")
    from ngo.campaigns import funding
    from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
    from ngo.donations.statement_import import import_statement
    from tests.donations.statements.helpers import FIXTURES

    add_bank_account(
        organisation,
        currency="EUR",
        iban="DE89 3704 0044 0532 0130 00",
        details=BankAccountDetails(account_holder="Hilfsverein e.V.", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )
    appeals = []
    for _ in range(2):
        person = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
        appeals.append(
            factories.AppealFactory(
                beneficiary=person,
                actor=staff["caseworker"],
                lines=SEED_LINES,
                published_by=staff["admin"],
            )
        )
    first, second = appeals
    # The statement's first credit is 50.00 EUR with 392R-VV4T, its second 100.00 with M8Q3-WQFW.
    by_transfer = [
        factories.DonationFactory(
            appeal=first, reference_code="392R-VV4T", amount_minor=5_000, method="bank_transfer"
        ),
        factories.DonationFactory(
            appeal=second, reference_code="M8Q3-WQFW", amount_minor=10_000, method="bank_transfer"
        ),
    ]
    by_card = factories.DonationFactory(appeal=second, amount_minor=2_500, method="card")
    db.session.commit()
    card_id, second_id = by_card.id, second.id
    transfer_ids = [gift.id for gift in by_transfer]
    statement = (FIXTURES / "camt053_v02_sparkasse.xml").read_bytes()
    treasurer_id = staff["treasurer"].id

    holding = threading.Event()
    release = threading.Event()
    locked_appeal_row = funding.lock_appeal_row

    def lock_then_wait(appeal_id, session=None, **options):
        locked = locked_appeal_row(appeal_id, session, **options)
        if threading.current_thread().name == "card-gift":
            holding.set()
            release.wait(timeout=30)
        return locked

    monkeypatch.setattr(funding, "lock_appeal_row", lock_then_wait)
    errors: list[BaseException] = []

    def card_gift() -> None:
        with app.app_context():
            try:
                with transaction():
                    assert confirm_donation(db.session.get(Donation, card_id))
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    def import_it() -> None:
        with app.app_context():
            try:
                with transaction():
                    from ngo.accounts.models import User

                    treasurer = db.session.get(User, treasurer_id)
                    result = import_statement(statement, "statement.xml", actor=treasurer)
                    assert result.matched == 2
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    gift_thread = threading.Thread(target=card_gift, name="card-gift")
    gift_thread.start()
    assert holding.wait(timeout=30)  # the gift holds the second appeal's lock
    import_thread = threading.Thread(target=import_it, name="import")
    import_thread.start()
    time.sleep(1.5)  # the import goes as far as it can: to the second appeal's lock
    release.set()
    gift_thread.join(timeout=60)
    import_thread.join(timeout=60)
    assert not errors, [f"{type(e).__name__}: {e}" for e in errors]

    db.session.expire_all()
    statuses = {
        gift.id: gift.status
        for gift in db.session.scalars(
            select(Donation).where(Donation.id.in_([card_id, *transfer_ids]))
        )
    }
    assert set(statuses.values()) == {DonationStatus.CONFIRMED}
    assert db.session.get(Appeal, second_id).raised_minor == 12_500
    report = ledger.verify()
    assert report.ok, (report.chain.problem, report.counter_differences)


DELIVERIES = 6


def test_deliveries_of_one_event_at_once_confirm_its_gift_once(app, organisation, staff):
    """Stripe may deliver one event to several workers at once. On PostgreSQL the event is
    recorded first: the other deliveries wait on its id and then answer "duplicate"; none is
    refused, and the gift is confirmed once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL")
    appeal = _published_appeal(organisation, staff)
    donation = factories.DonationFactory(appeal=appeal, amount_minor=5_000, method="card")
    completed = event(
        "checkout.session.completed",
        checkout_session(donation, intent={"id": f"pi_test_once_{donation.public_id}"}),
    )
    db.session.commit()
    donation_id, appeal_id = donation.id, appeal.id
    start = threading.Barrier(DELIVERIES)

    def deliver(_: int) -> str:
        with app.app_context():
            start.wait(timeout=30)
            try:
                with transaction():
                    return stripe_events.handle_event(completed)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
        outcomes = sorted(pool.map(deliver, range(DELIVERIES)))
    assert outcomes == ["confirmed"] + ["duplicate"] * (DELIVERIES - 1)
    db.session.expire_all()
    assert db.session.get(Donation, donation_id).status == DonationStatus.CONFIRMED
    assert db.session.get(Appeal, appeal_id).raised_minor == 5_000
    recorded = db.session.scalar(
        select(func.count())
        .select_from(ProviderEvent)
        .where(ProviderEvent.event_id == completed["id"])
    )
    assert recorded == 1
    transactions = db.session.scalar(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.donation_id == donation_id, LedgerTransaction.kind == "donation")
    )
    assert transactions == 1
