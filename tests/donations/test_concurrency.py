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
from ngo.donations import ledger
from ngo.donations.confirmation import confirm_donation
from ngo.donations.models import Donation, DonationStatus, LedgerTransaction
from ngo.extensions import db
from ngo.unit_of_work import transaction
from tests import factories
from tests.donations.conftest import SEED_LINES

pytestmark = pytest.mark.integration

GIFTS = 200
THREADS = 12


def test_concurrent_gifts_to_one_appeal_keep_the_counters_equal_to_the_ledger(
    app, organisation, staff
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the concurrency test needs PostgreSQL")
    person = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
    appeal = factories.AppealFactory(
        beneficiary=person,
        actor=staff["caseworker"],
        lines=SEED_LINES,
        published_by=staff["admin"],
    )
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
