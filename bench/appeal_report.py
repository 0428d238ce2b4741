"""Time to render an appeal's accountability report with 100,000 gifts, as a ratio to the same
report with 100 gifts, in the same run (target: under 2).

A throw-away SQLite instance (or the given, empty, PostgreSQL database) is migrated and seeded
with the demo. The seed appeal's gifts are topped up to `--small` confirmed gifts with bulk
inserts (SQLAlchemy Core, batches of 5,000), each with its ledger transaction and two journal
lines chained exactly as `ledger.post` chains them (so `flask ledger verify` still passes),
spread over a year, in four currencies, four methods, a third monthly; the appeal's and the
lines' counters are moved by the same sums and a checkpoint is signed over the new head, as
beat's hourly one would be. The report is rendered as the worker renders it (the outbox
handler: collect, safety check, HTML, PDF/A-3b, sign, store), `--rounds` times; then the
gifts are topped up to `--large` and the same report is rendered again. The first render
(fonts, the safety check's dictionaries) is not counted.

    .venv/bin/python bench/appeal_report.py [--small 100] [--large 100000] [--rounds 3]
    .venv/bin/python bench/appeal_report.py --database-url postgresql://postgres@127.0.0.1/empty
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 2.0
BATCH = 5_000
CURRENCIES = ("EUR", "EUR", "EUR", "PLN", "USD", "GBP")
METHODS = ("card", "card", "blik", "bank_transfer", "sepa_debit")


def refuse_unless_empty(url: str) -> None:
    """The bench migrates and fills the database it is given: never one that holds tables."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(f"{url} is not empty ({len(tables)} tables): give an empty database")


def prepare(env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["seed-demo"]):
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "flask"), "--app", "ngo", *command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def top_up(appeal_id: int, target: int) -> int:
    """Confirmed gifts of the appeal up to `target`, with their ledger entries; how many."""
    from sqlalchemy import func, insert, select, update

    from ngo.campaigns.models import Appeal, BudgetLine
    from ngo.chain import Checkpoint
    from ngo.chained_log import ChainHead
    from ngo.donations import chart, ledger
    from ngo.donations.models import Donation, JournalLine, LedgerCheckpoint, LedgerTransaction
    from ngo.donations.models.donations import new_public_id
    from ngo.extensions import db
    from ngo.timeutil import utcnow

    session = db.session
    appeal = session.get_one(Appeal, appeal_id)
    have = session.scalar(
        select(func.count()).where(Donation.appeal_id == appeal_id, Donation.status == "confirmed")
    )
    wanted = target - int(have or 0)
    if wanted <= 0:
        return 0
    line_ids = [line.id for line in appeal.budget_lines]
    key = ledger.LEDGER_LOG.key()
    seq, prev_hash = ledger.LEDGER_LOG.head(session)
    next_donation = int(session.scalar(select(func.max(Donation.id))) or 0) + 1
    next_tx = int(session.scalar(select(func.max(LedgerTransaction.id))) or 0) + 1
    start = utcnow() - timedelta(days=365)
    per_line = dict.fromkeys(line_ids, 0)
    raised = 0
    for first in range(0, wanted, BATCH):
        donations, transactions, lines = [], [], []
        for n in range(first, min(first + BATCH, wanted)):
            amount = 500 + (n * 7919) % 20_000  # 5.00 to 204.99, a spread for the median
            line_id = line_ids[n % len(line_ids)]
            moment = start + timedelta(minutes=(n * 5) % (365 * 24 * 60))
            method = METHODS[n % len(METHODS)]
            donation_id, tx_id = next_donation, next_tx
            next_donation, next_tx, seq = next_donation + 1, next_tx + 1, seq + 1
            donations.append(
                {
                    "id": donation_id,
                    "public_id": new_public_id(),
                    "organisation_id": appeal.organisation_id,
                    "appeal_id": appeal_id,
                    "amount_minor": amount,
                    "currency": CURRENCIES[n % len(CURRENCIES)],
                    "fee_covered_minor": 0,
                    "method": method,
                    "frequency": "monthly" if n % 3 == 0 else "one_off",
                    "status": "confirmed",
                    "fee_minor": 0,
                    "appeal_amount_minor": amount,
                    "created_at": moment,
                    "confirmed_at": moment,
                    "reversed_minor": 0,
                }
            )
            postings = [
                (chart.clearing(method), amount, None, None),
                (chart.line_fund(line_id), -amount, appeal_id, line_id),
            ]
            transaction = LedgerTransaction(
                id=tx_id,
                seq=seq,
                organisation_id=appeal.organisation_id,
                kind="donation",
                appeal_id=appeal_id,
                donation_id=donation_id,
                disbursement_id=None,
                corrects_id=None,
                occurred_at=moment,
                recorded_at=moment,
                memo="Gift",
                prev_hash=prev_hash,
                lines=[
                    JournalLine(
                        account=account,
                        amount_minor=value,
                        currency=appeal.currency,
                        appeal_id=line_appeal,
                        budget_line_id=budget_line,
                    )
                    for account, value, line_appeal, budget_line in postings
                ],
            )
            transaction.hash = transaction.compute_hash(key)
            prev_hash = transaction.hash
            transactions.append(
                {
                    column: getattr(transaction, column)
                    for column in LedgerTransaction.__table__.columns.keys()  # noqa: SIM118
                }
            )
            lines.extend(
                {
                    "transaction_id": tx_id,
                    "account": line.account,
                    "amount_minor": line.amount_minor,
                    "currency": line.currency,
                    "appeal_id": line.appeal_id,
                    "budget_line_id": line.budget_line_id,
                }
                for line in transaction.lines
            )
            per_line[line_id] += amount
            raised += amount
        session.execute(insert(Donation), donations)
        session.execute(insert(LedgerTransaction), transactions)
        session.execute(insert(JournalLine), lines)
    session.execute(
        update(Appeal)
        .where(Appeal.id == appeal_id)
        .values(raised_minor=Appeal.raised_minor + raised)
    )
    for line_id, amount in per_line.items():
        session.execute(
            update(BudgetLine)
            .where(BudgetLine.id == line_id)
            .values(funded_minor=BudgetLine.funded_minor + amount)
        )
    # The ledger's head row (PostgreSQL's appends lock and read it), as an append leaves it.
    session.execute(
        update(ChainHead)
        .where(ChainHead.name == ledger.LEDGER_LOG.name)
        .values(seq=seq, hash=prev_hash)
    )
    # Beat's checkpoint over the new head (built by construction, so not walked again here).
    signed = Checkpoint(ledger.LEDGER_LOG.name, seq, prev_hash, utcnow()).signed(
        ledger.LEDGER_LOG.signing_key()
    )
    session.add(
        LedgerCheckpoint(
            seq=signed.seq,
            head_hash=signed.head_hash,
            created_at=signed.created_at,
            signature=signed.signature,
            public_key=signed.public_key,
        )
    )
    session.commit()
    return wanted


def render_once(appeal_id: int, actor_id: int) -> tuple[float, int, int]:
    """One report rendered as the worker does; (seconds, PDF bytes, gifts it counted)."""
    from ngo.accounts.models import User
    from ngo.campaigns.models import Appeal
    from ngo.extensions import db
    from ngo.reports import appeal_reports, runner
    from ngo.reports.models import Report

    session = db.session
    session.expunge_all()
    report = appeal_reports.request_appeal_report(
        session.get_one(Appeal, appeal_id),
        actor=session.get_one(User, actor_id),
        language="en",
    )
    session.flush()
    report_id = report.id
    # The outbox row is left unsent: the bench calls the handler itself, as the worker would.
    session.info.pop("outbox_committed", None)
    session.commit()
    session.expunge_all()
    started = time.perf_counter()
    runner.render_report_message({"report_id": report_id})
    elapsed = time.perf_counter() - started
    session.expunge_all()
    done = session.get_one(Report, report_id)
    if done.status != "done" or done.pdf is None or done.data is None:
        raise SystemExit(f"the report failed: {done.error}")
    return elapsed, len(done.pdf), int(done.data["donations"]["count"])


def collect_once(appeal_id: int) -> float:
    """Seconds to collect the report's figures alone (the part that reads the gifts)."""
    from ngo.campaigns.models import Appeal
    from ngo.extensions import db
    from ngo.reports import appeal_data

    db.session.expunge_all()
    appeal = db.session.get_one(Appeal, appeal_id)
    started = time.perf_counter()
    appeal_data.collect(appeal, "en")
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="an EMPTY PostgreSQL database")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="ngo-bench-report-")
    env = {**os.environ, "NGO_INSTANCE_PATH": folder}
    if args.database_url:
        refuse_unless_empty(args.database_url)
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    print(f"instance {folder}: migrating and seeding the demo ...", flush=True)
    prepare(env)

    sys.path.insert(0, str(REPO))
    from sqlalchemy import func, select

    from ngo import create_app
    from ngo.accounts.models import User
    from ngo.campaigns.models import Appeal
    from ngo.donations.models import Donation
    from ngo.extensions import db

    app = create_app()
    with app.app_context():
        appeal_id = db.session.scalar(
            select(Appeal.id).where(Appeal.listed.is_(True)).order_by(Appeal.id).limit(1)
        )
        actor_id = db.session.scalar(
            select(User.id).where(User.email == "caseworker@demo.ngo.example")
        )
        assert appeal_id is not None and actor_id is not None
        results: dict[int, list[float]] = {}
        collecting: dict[int, list[float]] = {}
        for target in (args.small, args.large):
            started = time.perf_counter()
            added = top_up(appeal_id, target)
            count = db.session.scalar(
                select(func.count()).where(
                    Donation.appeal_id == appeal_id, Donation.status == "confirmed"
                )
            )
            print(
                f"{count} confirmed gifts ({added} bulk-inserted with their ledger entries in "
                f"{time.perf_counter() - started:.1f} s)",
                flush=True,
            )
            if not results:
                render_once(appeal_id, actor_id)  # warm-up: fonts, dictionaries
            times = []
            for _ in range(args.rounds):
                elapsed, pdf_bytes, gifts = render_once(appeal_id, actor_id)
                times.append(elapsed)
            results[int(count or 0)] = times
            collecting[int(count or 0)] = [collect_once(appeal_id) for _ in range(args.rounds)]
            print(
                f"  render: median {statistics.median(times):.3f} s "
                f"({', '.join(f'{t:.3f}' for t in times)}); PDF {pdf_bytes} bytes, "
                f"{gifts} gifts in the report; collecting the "
                f"figures alone: median {statistics.median(collecting[int(count or 0)]):.3f} s",
                flush=True,
            )
    (small, small_times), (large, large_times) = results.items()
    ratio = statistics.median(large_times) / statistics.median(small_times)
    verdict = "meets" if ratio < TARGET else "MISSES"
    print(f"ratio {large:,} gifts / {small:,} gifts: {ratio:.2f} ({verdict} the target < {TARGET})")
    collect_ratio = statistics.median(collecting[large]) / statistics.median(collecting[small])
    print(f"collecting the figures alone: ratio {collect_ratio:.2f}")


if __name__ == "__main__":
    main()
