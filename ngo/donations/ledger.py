"""Posting to the ledger, and checking it.

Every money movement is one `post()`: a balanced transaction of journal lines, appended to the
keyed chain under its lock. Nothing in the ledger is ever updated or deleted (a flush that tries
fails); a correction is a new transaction naming the one it corrects.

Lock order, to keep concurrent money movements free of deadlocks: the appeal row first
(campaigns.funding.lock_for_money), then the ledger chain's head (post), then the audit
chain's head (a gift's confirmation takes both heads in one statement, in that order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ngo import chain, deferred_writes, unit_of_work
from ngo.campaigns import funding
from ngo.campaigns.funding import Figures
from ngo.chain import ChainReport, Checkpoint
from ngo.chained_log import ChainedLog, take_heads
from ngo.donations import chart
from ngo.donations.models import (
    Donation,
    DonationStatus,
    JournalLine,
    LedgerCheckpoint,
    LedgerTransaction,
)
from ngo.donations.models.ledger import LEDGER_CHAIN, hashed_fields
from ngo.extensions import db, listen, table_of
from ngo.timeutil import utcnow

LEDGER_LOG = ChainedLog(LEDGER_CHAIN, LedgerTransaction, LedgerCheckpoint)


class LedgerError(ValueError):
    """A transaction that cannot be posted (unbalanced, empty, not integer): a programming
    error, never a donor's input, so it is not a RuleError."""


class LedgerAppendOnlyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Posting:
    account: str
    amount_minor: int
    currency: str
    appeal_id: int | None = None
    budget_line_id: int | None = None


def init_app(app: Flask) -> None:
    listen(Session, "before_flush", _refuse_changes_to_the_ledger)


def _refuse_changes_to_the_ledger(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerTransaction | JournalLine | LedgerCheckpoint) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise LedgerAppendOnlyError(
                "the ledger is append-only: post a correcting transaction instead"
            )


def _check_balanced(postings: list[Posting]) -> None:
    if not postings:
        raise LedgerError("a transaction needs journal lines")
    sums: dict[str, int] = defaultdict(int)
    for posting in postings:
        if type(posting.amount_minor) is not int:
            raise LedgerError("journal amounts are integers of minor units")
        sums[posting.currency] += posting.amount_minor
    unbalanced = {currency: total for currency, total in sums.items() if total}
    if unbalanced:
        raise LedgerError(f"the transaction does not balance: {unbalanced}")


def post(
    *,
    organisation_id: int,
    kind: str,
    postings: Iterable[Posting],
    memo: str = "",
    appeal_id: int | None = None,
    donation_id: int | None = None,
    disbursement_id: int | None = None,
    corrects_id: int | None = None,
    occurred_at: datetime | None = None,
    session: Session | None = None,
) -> LedgerTransaction:
    """Append one balanced transaction in the caller's unit of work. Lines of zero are left
    out; they move nothing and would only clutter the public ledger."""
    session = session or db.session()
    lines = [p for p in postings if p.amount_minor != 0]
    _check_balanced(lines)
    now = utcnow()
    transaction = LedgerTransaction(
        organisation_id=organisation_id,
        kind=kind,
        appeal_id=appeal_id,
        donation_id=donation_id,
        disbursement_id=disbursement_id,
        corrects_id=corrects_id,
        occurred_at=occurred_at or now,
        recorded_at=now,
        memo=memo,
        lines=[
            JournalLine(
                account=p.account,
                amount_minor=p.amount_minor,
                currency=p.currency,
                appeal_id=p.appeal_id,
                budget_line_id=p.budget_line_id,
            )
            for p in lines
        ],
    )
    return LEDGER_LOG.append(session, transaction)


_TRANSACTIONS = table_of(LedgerTransaction)
_INSERT_TRANSACTION = _TRANSACTIONS.insert()
_INSERT_TRANSACTION_RETURNING_ID = _TRANSACTIONS.insert().returning(_TRANSACTIONS.c.id)
_INSERT_LINE = table_of(JournalLine).insert()


def post_rows(
    *,
    organisation_id: int,
    kind: str,
    postings: Iterable[Posting],
    memo: str,
    appeal_id: int | None = None,
    donation_id: int | None = None,
    occurred_at: datetime | None = None,
    lock_also: Sequence[ChainedLog] = (),
    session: Session | None = None,
) -> int:
    """`post` for the hot path of confirming a gift: the same transaction, chained and hashed
    the same way, written by Core statements on the session's connection without building
    models; returns its id. On PostgreSQL the chain's head gives the id with its lock, and the
    transaction, its lines and the new head are deferred writes (ngo.deferred_writes): one
    statement, sent before whatever the caller runs next. `lock_also`: logs the caller appends
    to afterwards in this transaction (the audit log), whose heads are locked with the
    ledger's, after it, in the same statement. Nothing is left in the session to flush."""
    session = session or db.session()
    lines = [p for p in postings if p.amount_minor != 0]
    _check_balanced(lines)
    unit_of_work.note_write(session)
    connection = session.connection()
    now = utcnow()
    moment = occurred_at or now
    transaction_id = take_heads(connection, [LEDGER_LOG, *lock_also], next_id_of=LEDGER_LOG)
    seq, prev = LEDGER_LOG.take_head(connection)
    rows = [(p.account, p.amount_minor, p.currency, p.appeal_id, p.budget_line_id) for p in lines]
    fields = hashed_fields(
        seq + 1, organisation_id, kind, appeal_id, donation_id, None, None, moment, memo, rows
    )
    entry_hash = chain.entry_hash(LEDGER_LOG.key(), fields, prev)
    values = {
        "seq": seq + 1,
        "organisation_id": organisation_id,
        "kind": kind,
        "appeal_id": appeal_id,
        "donation_id": donation_id,
        "occurred_at": moment,
        "recorded_at": now,
        "memo": memo,
        "prev_hash": prev,
        "hash": entry_hash,
    }
    if transaction_id is None:
        transaction_id = connection.execute(_INSERT_TRANSACTION_RETURNING_ID, values).scalar_one()
    else:
        deferred_writes.defer(session, _INSERT_TRANSACTION, {"id": transaction_id, **values})
    deferred_writes.defer_rows(
        session,
        _INSERT_LINE,
        [
            {
                "transaction_id": transaction_id,
                "account": account,
                "amount_minor": amount,
                "currency": currency,
                "appeal_id": line_appeal,
                "budget_line_id": line_id,
            }
            for account, amount, currency, line_appeal, line_id in rows
        ],
    )
    LEDGER_LOG.advance_head(session, seq + 1, entry_hash)
    return transaction_id


# Reading -------------------------------------------------------------------------------------


def account_balances(
    *, appeal_id: int | None = None, session: Session | None = None
) -> dict[tuple[str, str], int]:
    """(account, currency) -> balance, over the whole ledger or one appeal's lines."""
    session = session or db.session()
    stmt = select(JournalLine.account, JournalLine.currency, func.sum(JournalLine.amount_minor))
    if appeal_id is not None:
        stmt = stmt.where(JournalLine.appeal_id == appeal_id)
    stmt = stmt.group_by(JournalLine.account, JournalLine.currency)
    return {(account, currency): int(total) for account, currency, total in session.execute(stmt)}


@dataclass(frozen=True)
class LedgerReport:
    chain: ChainReport
    unbalanced_transactions: list[int]
    # Human-readable differences between the public counters and the journal's sums.
    counter_differences: list[str]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.unbalanced_transactions and not self.counter_differences


def unbalanced_transactions(session: Session) -> list[int]:
    stmt = (
        select(JournalLine.transaction_id)
        .group_by(JournalLine.transaction_id, JournalLine.currency)
        .having(func.sum(JournalLine.amount_minor) != 0)
    )
    return sorted(set(session.scalars(stmt)))


def verify(session: Session | None = None, *, external: Checkpoint | None = None) -> LedgerReport:
    """The chain against its checkpoints, every transaction balanced, and every appeal's public
    counters (raised, and funded and spent per line) equal to the journal's sums, and its count
    of confirmed gifts equal to the gifts' table."""
    session = session or db.session()
    chain_report = LEDGER_LOG.verify(session, external=external)
    journal = _journal_figures(session)
    differences = funding.compare_counters(journal, session=session)
    return LedgerReport(chain_report, unbalanced_transactions(session), differences)


def _journal_figures(session: Session) -> Figures:
    figures = Figures()
    stmt = select(
        JournalLine.account,
        JournalLine.appeal_id,
        JournalLine.budget_line_id,
        func.sum(JournalLine.amount_minor),
    ).group_by(JournalLine.account, JournalLine.appeal_id, JournalLine.budget_line_id)
    for account, appeal_id, line_id, total in session.execute(stmt):
        total = int(total)
        if appeal_id is not None and chart.is_fund(account):
            figures.raised[appeal_id] += -total
        if line_id is not None and account == chart.line_fund(line_id):
            figures.funded[line_id] += -total
        if line_id is not None and account == chart.line_spent(line_id):
            figures.spent[line_id] += total
    confirmed = (
        select(Donation.appeal_id, func.count())
        .where(Donation.status == DonationStatus.CONFIRMED.value)
        .group_by(Donation.appeal_id)
    )
    for appeal_id, count in session.execute(confirmed):
        figures.donations[appeal_id] = int(count)
    return figures
