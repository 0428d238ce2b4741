"""Confirming a gift and taking one back: the one path every payment method ends in.

`confirm_donation` converts the gift into the appeal's currency at a stored rate, shares it among
the budget lines by the appeal's rule, posts one balanced ledger transaction, moves the public
counters, issues the receipt's private code and asks for the receipt through the outbox, all in
the caller's transaction: either all of it happens or none of it does. `reverse_donation` asks
for the cancellation note of each refund or chargeback the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, LargeBinary, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ngo import audit, chained_log, crypto, outbox, signals, unit_of_work
from ngo.campaigns import funding
from ngo.campaigns.funding import LockedAppeal
from ngo.campaigns.giving import LineState
from ngo.campaigns.models import AllocationRule, Appeal, OverfundingPolicy
from ngo.donations import chart, ledger, rates, receipt_codes
from ngo.donations.allocation import Allocation, allocate, share_back
from ngo.donations.ledger import Posting
from ngo.donations.models import Donation, DonationStatus, JournalLine, LedgerTransaction
from ngo.extensions import db, table_of
from ngo.rules import RuleError
from ngo.timeutil import utcnow

# The outbox kinds a gift's documents are asked for by: its receipt when confirmed, a
# cancellation note for each refund or chargeback. Their handlers are the reports domain's
# (it registers them in its init_app): donations knows no receipt.
RECEIPT_KIND = "donations.receipt"
REFUNDED_KIND = "donations.refunded"


class DonationStateError(RuleError):
    pass


def _in_appeal_currency(
    donation: Donation, currency: str, organisation_id: int, amount_minor: int, on: date
) -> tuple[int, str | None, date | None, str | None]:
    if donation.currency == currency:
        return amount_minor, None, None, None
    conversion = rates.convert(
        amount_minor, donation.currency, currency, on, organisation_id=organisation_id
    )
    return (
        conversion.amount_minor,
        format(conversion.rate, "f"),
        conversion.rate_date,
        conversion.source,
    )


_DONATIONS = table_of(Donation)
_COLUMN = _DONATIONS.c
_CONFIRMABLE = (DonationStatus.PENDING.value, DonationStatus.AWAITING_APPROVAL.value)
# The claim: the gift becomes confirmed only if it is still confirmable and still what was
# read (amount, currency, method, line), in the statement that writes its confirmation, so
# two deliveries of one webhook cannot both confirm it. Built once, its values typed by
# their columns (the receipt code is encrypted by its column's type).
_SET = {
    name: bindparam(f"new_{name}", type_=_COLUMN[name].type)
    for name in (
        "status",
        "fee_minor",
        "appeal_amount_minor",
        "rate",
        "rate_date",
        "rate_source",
        "confirmed_at",
        "receipt_code_lookup",
        "receipt_code_hash",
    )
}
# Encrypted before the appeal's lock is taken (`_receipt_code`): bound as the ciphertext.
_SET["receipt_code"] = bindparam("new_receipt_code", type_=LargeBinary())
_CLAIM = (
    _DONATIONS.update()
    .where(
        _COLUMN.id == bindparam("of_donation"),
        # Named: an anonymous parameter of an UPDATE inside a CTE is not given its value.
        _COLUMN.status.in_(bindparam("confirmable", expanding=True)),
        _COLUMN.amount_minor == bindparam("read_amount"),
        _COLUMN.currency == bindparam("read_currency"),
        _COLUMN.method == bindparam("read_method"),
        _COLUMN.budget_line_id.is_not_distinct_from(bindparam("read_line", type_=Integer)),
    )
    .values(
        **_SET,
        approved_by_id=func.coalesce(_COLUMN.approved_by_id, bindparam("actor", type_=Integer)),
    )
)
# PostgreSQL's: the claim and the appeal's lines in one statement, after the appeal's lock (the
# lines are changed only under it, so the statement's snapshot holds them as they are).
_CLAIMED = _CLAIM.returning(_COLUMN.id).cte("claim")
# And, once claimed, the heads of the ledger and of the audit log that the confirmation appends
# to, locked after the claim (the lock order: the appeal, the gift, the ledger's head, the
# audit log's), with the ledger entry's id: one round trip fewer under the appeal's lock.
_HEADS_LOCKED = (ledger.LEDGER_LOG, audit.AUDIT_LOG)
_HEADS, _HEAD_COLUMNS = chained_log.heads_taken_with(
    _CLAIMED, _HEADS_LOCKED, next_id_of=ledger.LEDGER_LOG
)
_CLAIM_WITH_LINES = funding.lines_read_with(_CLAIMED).add_cte(_HEADS).add_columns(*_HEAD_COLUMNS)


def confirm_donation(
    donation: Donation,
    *,
    fee_minor: int = 0,
    held_fee_minor: int = 0,
    occurred_at: datetime | None = None,
    actor_id: int | None = None,
    also_enqueue: Sequence[tuple[str, dict[str, Any]]] = (),
    session: Session | None = None,
) -> bool:
    """Confirm a pending gift; False, changing nothing, if it was confirmed before (a webhook
    replayed, a statement imported twice). `fee_minor` is what the provider kept, in the gift's
    currency, when it is known now. `held_fee_minor` is held back from the lines, on the
    appeal's fee-pending fund, for a fee that is not known yet (an online gift: a worker asks
    Stripe afterwards, `donations.fee_settlement.settle_fee`); it counts as raised, as the fee
    itself does, and funds no line until the fee is settled. `also_enqueue`: outbox messages
    (kind, payload) for the gift's organisation written with its receipt's, in one statement,
    only if it is confirmed now.

    Every payment method's gifts come here, a webhook's many times a second: the writes are
    plain statements on the session's connection (the claim of the gift, the receipt's outbox
    row, the ledger's transaction and its lines, the counters), and the gift's model is given
    the values written. The ledger's rows and the counters are deferred writes
    (ngo.deferred_writes): on PostgreSQL they go as one statement with the caller's next, so
    that the appeal's lock, which every other gift to it waits for, is held for fewer round
    trips."""
    session = session or db.session()
    # What the caller set on the gift (an approver, a payment) is kept: flushed, then claimed
    # under the appeal's lock.
    session.flush()
    # Its encryption and keyed hashes are the claim's costliest values and need no lock.
    receipt_code = _receipt_code(donation)
    lines_with_claim = session.connection().dialect.name == "postgresql"
    appeal = funding.lock_appeal_row(donation.appeal_id, session, with_lines=not lines_with_claim)
    kept = fee_minor + held_fee_minor
    if donation.status != DonationStatus.CONFIRMED and not (
        fee_minor >= 0 and held_fee_minor >= 0 and kept <= donation.amount_minor
    ):
        raise DonationStateError("the fee is more than the gift")
    moment = occurred_at or utcnow()
    for _ in range(2):
        confirmed = _claim(
            donation, appeal, receipt_code, fee_minor, held_fee_minor, moment, actor_id, session
        )
        if confirmed is not None:
            break
        # Not claimed: confirmed meanwhile, not confirmable, or changed since it was read.
        session.refresh(donation, with_for_update=True)
        if donation.status == DonationStatus.CONFIRMED:
            return False
        if donation.status not in _CONFIRMABLE:
            raise DonationStateError(f"a {donation.status} donation cannot be confirmed")
        if not kept <= donation.amount_minor:
            raise DonationStateError("the fee is more than the gift")
    else:
        raise RuntimeError("the gift could not be claimed though it reads as confirmable")
    gross, after_fee, net, lines = confirmed
    allocation = allocate(
        net,
        lines,
        rule=AllocationRule(appeal.allocation_rule),
        policy=OverfundingPolicy(appeal.overfunding_policy),
        designated_line_id=donation.budget_line_id,
    )
    method = donation.method
    postings = [
        Posting(chart.clearing(method), donation.amount_minor - fee_minor, donation.currency),
        Posting(chart.fees(method), fee_minor, donation.currency),
    ]
    if donation.currency != appeal.currency:
        postings += [
            Posting(chart.FX, -donation.amount_minor, donation.currency),
            Posting(chart.FX, gross, appeal.currency),
        ]
    postings += _fund_postings(appeal, gross - after_fee, after_fee - net, allocation)
    ledger.post_rows(
        organisation_id=donation.organisation_id,
        kind="donation",
        postings=postings,
        memo="Gift",
        appeal_id=appeal.id,
        donation_id=donation.id,
        occurred_at=moment,
        # Every path that confirms a gift records it in the audit log next (its caller).
        lock_also=(audit.AUDIT_LOG,),
        session=session,
    )
    # Deferred writes, as the ledger's, the counters' and the caller's rows: they go together
    # (ngo.deferred_writes), and the messages' ids come back with them. After the ledger has
    # taken its heads: queued before, they would be sent on their own before that statement.
    outbox.enqueue_rows_deferred(
        [(RECEIPT_KIND, {"donation_id": donation.id}), *also_enqueue],
        session=session,
        organisation_id=donation.organisation_id,
    )
    funding.move_counters_of(
        appeal.id, raised_minor=gross, donations=1, funded=allocation.lines, session=session
    )
    signals.donation_confirmed.send(donation, actor_id=actor_id)
    return True


@dataclass(frozen=True)
class _ReceiptCode:
    code: str
    encrypted: bytes
    lookup: str
    public_hash: str


def _receipt_code(donation: Donation) -> _ReceiptCode:
    """A new private code for the gift's receipt, as the claim writes it."""
    code = receipt_codes.new_code()
    return _ReceiptCode(
        code,
        crypto.encrypt(code),
        receipt_codes.lookup_key(code),
        receipt_codes.public_hash(donation.public_id, code),
    )


def _claim(
    donation: Donation,
    appeal: LockedAppeal,
    receipt_code: _ReceiptCode,
    fee_minor: int,
    held_fee_minor: int,
    moment: datetime,
    actor_id: int | None,
    session: Session,
) -> tuple[int, int, int, list[LineState]] | None:
    """Write the gift's confirmation if it is still confirmable as read; (gross, after the
    fee, net of the fee and what is held for it) in the appeal's currency and the appeal's
    lines, or None if nothing was written. On PostgreSQL the lines are read in the claim's
    statement (the appeal was locked without them), elsewhere they are the lock's."""
    on = moment.date()
    gross, rate, rate_date, rate_source = _in_appeal_currency(
        donation, appeal.currency, appeal.organisation_id, donation.amount_minor, on
    )
    after_fee = gross
    if fee_minor:
        after_fee, *_ = _in_appeal_currency(
            donation, appeal.currency, appeal.organisation_id, donation.amount_minor - fee_minor, on
        )
    net = after_fee
    if held_fee_minor:
        net, *_ = _in_appeal_currency(
            donation,
            appeal.currency,
            appeal.organisation_id,
            donation.amount_minor - fee_minor - held_fee_minor,
            on,
        )
    values: dict[str, Any] = {
        "status": DonationStatus.CONFIRMED.value,
        "fee_minor": fee_minor,
        "appeal_amount_minor": gross,
        "rate": rate,
        "rate_date": rate_date,
        "rate_source": rate_source,
        "confirmed_at": moment,
        "receipt_code": receipt_code.encrypted,
        "receipt_code_lookup": receipt_code.lookup,
        "receipt_code_hash": receipt_code.public_hash,
    }
    unit_of_work.note_write(session)
    params = {
        **{f"new_{name}": value for name, value in values.items()},
        "actor": actor_id,
        "confirmable": list(_CONFIRMABLE),
        "of_donation": donation.id,
        "read_amount": donation.amount_minor,
        "read_currency": donation.currency,
        "read_method": donation.method,
        "read_line": donation.budget_line_id,
    }
    connection = session.connection()
    lines = appeal.lines
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            _CLAIM_WITH_LINES,
            {
                **params,
                "lines_of_appeal": appeal.id,
                "head_names": [log.name for log in _HEADS_LOCKED],
            },
        ).all()
        claimed, *_line, taken, next_id = rows[0]
        lines = funding.line_states(row[1:6] for row in rows)
        chained_log.note_heads_taken(connection, taken, next_id, next_id_of=ledger.LEDGER_LOG)
    else:
        claimed = cast(CursorResult[Any], connection.execute(_CLAIM, params)).rowcount
    if claimed != 1:
        return None
    values["approved_by_id"] = donation.approved_by_id or actor_id
    values["receipt_code"] = receipt_code.code  # the model holds the plain value
    for name, value in values.items():
        set_committed_value(donation, name, value)
    return gross, after_fee, net, lines


def _fund_postings(
    appeal: LockedAppeal, fee_in_appeal: int, held_in_appeal: int, allocation: Allocation
) -> list[Posting]:
    currency = appeal.currency
    postings = [
        Posting(chart.appeal_fees(appeal.id), -fee_in_appeal, currency, appeal.id),
        Posting(chart.appeal_fee_pending(appeal.id), -held_in_appeal, currency, appeal.id),
    ]
    postings += [
        Posting(chart.line_fund(line_id), -amount, currency, appeal.id, line_id)
        for line_id, amount in allocation.lines.items()
    ]
    postings.append(
        Posting(chart.appeal_reserve(appeal.id), -allocation.reserve_minor, currency, appeal.id)
    )
    postings.append(
        Posting(chart.GENERAL_FUND, -allocation.general_fund_minor, currency, appeal.id)
    )
    return postings


def held_for(donation: Donation, session: Session) -> dict[tuple[str, int | None], int]:
    """What the gift still holds on each fund account: its confirmation less what was taken
    back before."""
    rows = session.execute(
        select(JournalLine.account, JournalLine.budget_line_id, JournalLine.amount_minor)
        .join(LedgerTransaction)
        .where(LedgerTransaction.donation_id == donation.id)
    )
    held: dict[tuple[str, int | None], int] = defaultdict(int)
    for account, line_id, amount in rows:
        if chart.is_fund(account):
            held[(account, line_id)] -= amount
    return {key: amount for key, amount in held.items() if amount > 0}


def within_what_lines_hold(
    shares: dict[tuple[str, int | None], int], appeal: Appeal
) -> dict[tuple[str, int | None], int]:
    """A line gives back at most what it holds now: a treasurer may have moved the gift's money
    to another line since. The rest comes from the appeal's reserve, which may then go below
    zero: the appeal owes it, and a treasurer sees it on the appeal's funds."""
    holding = {line.id: line.funded_minor for line in appeal.budget_lines}
    result: dict[tuple[str, int | None], int] = {}
    short = 0
    for (account, line_id), share in shares.items():
        if line_id is not None:
            take = min(share, max(holding.get(line_id, 0), 0))
            short += share - take
            share = take
        if share:
            result[(account, line_id)] = share
    if short:
        reserve = (chart.appeal_reserve(appeal.id), None)
        result[reserve] = result.get(reserve, 0) + short
    return result


def reverse_donation(
    donation: Donation,
    amount_minor: int,
    *,
    kind: str,
    extra_fee_minor: int = 0,
    occurred_at: datetime | None = None,
    session: Session | None = None,
) -> bool:
    """Take back `amount_minor` (in the gift's currency) of a confirmed gift: a refund or a
    chargeback. Each fund account gives back the same fraction it received, at the rate the
    gift was confirmed with, so a full refund brings the appeal's figures back to what they
    were. `extra_fee_minor` is a fee the provider charges for it (a dispute fee), borne by the
    organisation. False if nothing was left to take back."""
    if kind not in ("refund", "chargeback"):
        raise ValueError(kind)
    session = session or db.session()
    session.flush()
    appeal = funding.lock_for_money(donation.appeal_id, session)
    session.refresh(donation, with_for_update=True)
    if donation.status not in (
        DonationStatus.CONFIRMED,
        DonationStatus.REFUNDED,
        DonationStatus.DISPUTED,
    ):
        raise DonationStateError(f"a {donation.status} donation has nothing to take back")
    amount_minor = min(amount_minor, donation.amount_minor - donation.reversed_minor)
    if amount_minor <= 0:
        return False
    gross = donation.appeal_amount_minor or 0
    # The fraction of the gift in the appeal's currency, rounded as the whole is: the last
    # reversal takes exactly what is left, so a gift refunded in parts ends at zero.
    reversed_after = donation.reversed_minor + amount_minor
    back_total = gross * reversed_after // donation.amount_minor
    back_before = gross * donation.reversed_minor // donation.amount_minor
    back = back_total - back_before
    held = held_for(donation, session)
    shares = within_what_lines_hold(share_back(back, held), appeal)
    postings = [Posting(chart.clearing(donation.method), -amount_minor, donation.currency)]
    if donation.currency != appeal.currency:
        postings += [
            Posting(chart.FX, amount_minor, donation.currency),
            Posting(chart.FX, -back, appeal.currency),
        ]
    funded: dict[int, int] = {}
    for (account, line_id), share in shares.items():
        postings.append(Posting(account, share, appeal.currency, appeal.id, line_id))
        if line_id is not None:
            funded[line_id] = -share
    if extra_fee_minor:
        postings += [
            Posting(chart.fees(donation.method), extra_fee_minor, donation.currency),
            Posting(chart.clearing(donation.method), -extra_fee_minor, donation.currency),
        ]
    reversal = ledger.post(
        organisation_id=donation.organisation_id,
        kind=kind,
        postings=postings,
        memo="Refund" if kind == "refund" else "Chargeback",
        appeal_id=appeal.id,
        donation_id=donation.id,
        occurred_at=occurred_at,
        session=session,
    )
    status = DonationStatus.DISPUTED if kind == "chargeback" else DonationStatus.REFUNDED
    if kind == "refund" and reversed_after < donation.amount_minor:
        status = DonationStatus.CONFIRMED
    # The appeal counts its confirmed gifts: one leaves the count when it stops being confirmed
    # (and comes back when a part-refund of a disputed gift confirms it again).
    counted = int(status == DonationStatus.CONFIRMED) - int(
        donation.status == DonationStatus.CONFIRMED
    )
    funding.move_counters(
        appeal, raised_minor=-back, donations=counted, funded=funded, session=session
    )
    donation.reversed_minor = reversed_after
    donation.status = status.value
    session.flush()
    outbox.enqueue(
        REFUNDED_KIND, {"donation_id": donation.id, "reversal_id": reversal.id}, session=session
    )
    return True
