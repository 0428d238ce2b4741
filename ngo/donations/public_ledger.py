"""What the public ledger of an appeal shows: its movements by date, from the journal, with
nothing that names a person.

Gifts show their amount, currency and line (or the whole appeal), the salted hash of their
receipt code and, only if the donor chose one for that gift and it passed the safety check, a
display name; everyone else is "Anonymous". Disbursements show their line and their public
description; nothing about the payee. No e-mail, message, payee note or donor name is read here.

The page (views/public_ledger.py) and the API (ngo.api) read the same entries.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from ngo.campaigns.models import Appeal, BudgetLine
from ngo.campaigns.presentation import line_text
from ngo.campaigns.visibility import is_listed
from ngo.donations import chart, receipt_codes
from ngo.donations.display_names import public_donor_name
from ngo.donations.models import (
    Disbursement,
    Donation,
    DonationStatus,
    LedgerCheckpoint,
    LedgerTransaction,
)
from ngo.extensions import db
from ngo.money import Money

PAGE_SIZE = 50
MAX_LIMIT = 100
MAX_PAGE = 10_000
GIFT_KINDS = frozenset({"donation"})
REVERSAL_KINDS = frozenset({"refund", "chargeback"})
# A gift's payment fee, posted once the provider said what it charged (fee_settlement).
FEE_KINDS = frozenset({"fee"})


class AppealNotListed(LookupError):  # noqa: N818  (a state, as public.browse's AppealGoneError)
    """The appeal exists but is not on the public site (any more): a 410, saying nothing why."""


class LedgerCursorError(ValueError):
    pass


def listed_appeal(slug: str) -> Appeal:
    """The listed appeal with this slug, by the public site's rule; LookupError if no appeal
    has it, AppealNotListed if it is not on the public site."""
    if not slug or len(slug) > 24 or not slug.isascii():
        raise LookupError(slug)
    appeal = db.session.scalars(
        select(Appeal)
        .where(Appeal.slug == slug)
        .options(selectinload(Appeal.budget_lines).selectinload(BudgetLine.labels))
    ).first()
    if appeal is None:
        raise LookupError(slug)
    if not is_listed(appeal):
        raise AppealNotListed(slug)
    return appeal


def line_label(line: BudgetLine, language: str, fallback: str) -> str:
    """The line's label for a reader of `language`, by the public pages' one rule."""
    return line_text(line, language, fallback)[0]


@dataclass(frozen=True)
class Entry:
    seq: int
    occurred_at: datetime
    kind: str
    # The movement in the appeal's currency (a gift: what it gave the appeal, fees included).
    amount: Money
    hash: str
    budget_line_ids: tuple[int, ...] = ()
    # Gifts: what the donor gave in their currency, the payment fee, and the public proof.
    gift_id: str | None = None
    gift_amount: Money | None = None
    fee: Money | None = None
    donor_name: str | None = None
    receipt_code_hash: str | None = None
    # Disbursements: the public description.
    description: str | None = None

    @property
    def anchor(self) -> str:
        return f"entry-{self.seq}"


@dataclass
class Page:
    entries: list[Entry]
    number: int = 1
    has_next: bool = False
    next_cursor: str | None = None
    lines: dict[int, BudgetLine] = field(default_factory=dict)


def _order() -> tuple[Any, Any]:
    return (LedgerTransaction.occurred_at.desc(), LedgerTransaction.seq.desc())


def _entries(transactions: list[LedgerTransaction], appeal: Appeal) -> list[Entry]:
    donation_ids = {t.donation_id for t in transactions if t.donation_id is not None}
    disbursement_ids = {t.disbursement_id for t in transactions if t.disbursement_id is not None}
    # Only the columns the ledger shows: never a donor, a message or the code itself.
    donations = {
        row.id: row
        for row in db.session.execute(
            select(
                Donation.id,
                Donation.public_id,
                Donation.budget_line_id,
                Donation.amount_minor,
                Donation.currency,
                Donation.fee_minor,
                Donation.display_name,
                Donation.display_name_checked_at,
                Donation.receipt_code_hash,
            ).where(Donation.id.in_(donation_ids))
        )
    }
    descriptions = dict(
        db.session.execute(
            select(Disbursement.id, Disbursement.public_description).where(
                Disbursement.id.in_(disbursement_ids)
            )
        ).all()
    )
    return [_entry(t, appeal, donations, descriptions) for t in transactions]


def _entry(
    transaction: LedgerTransaction,
    appeal: Appeal,
    donations: dict[int, Any],
    descriptions: dict[int, str],
) -> Entry:
    currency = appeal.currency
    ours = [line for line in transaction.lines if line.appeal_id == appeal.id]
    moved = sum(line.amount_minor for line in ours if line.amount_minor > 0)
    touched = tuple(sorted({line.budget_line_id for line in ours if line.budget_line_id}))
    base: dict[str, Any] = {
        "seq": transaction.seq,
        "occurred_at": transaction.occurred_at,
        "kind": transaction.kind,
        "hash": transaction.hash,
    }
    donation = donations.get(transaction.donation_id or 0)
    if transaction.kind in GIFT_KINDS and donation is not None:
        gross = -sum(line.amount_minor for line in ours if chart.is_fund(line.account))
        designated = (donation.budget_line_id,) if donation.budget_line_id else ()
        return Entry(
            **base,
            amount=Money(gross, currency),
            budget_line_ids=designated,
            gift_id=donation.public_id,
            gift_amount=Money(donation.amount_minor, donation.currency),
            fee=Money(donation.fee_minor, donation.currency),
            donor_name=public_donor_name(donation.display_name, donation.display_name_checked_at),
            receipt_code_hash=donation.receipt_code_hash,
        )
    if transaction.kind in REVERSAL_KINDS and donation is not None:
        back = sum(line.amount_minor for line in ours if chart.is_fund(line.account))
        designated = (donation.budget_line_id,) if donation.budget_line_id else ()
        return Entry(
            **base,
            amount=Money(back, currency),
            budget_line_ids=designated,
            gift_id=donation.public_id,
        )
    if transaction.kind in FEE_KINDS and donation is not None:
        # What the gift's fee took from the appeal's funds: the credit of its fees fund.
        fees_fund = chart.appeal_fees(appeal.id)
        paid = -sum(line.amount_minor for line in ours if line.account == fees_fund)
        return Entry(
            **base,
            amount=Money(paid, currency),
            budget_line_ids=touched,
            gift_id=donation.public_id,
        )
    if transaction.disbursement_id is not None:
        spent = sum(line.amount_minor for line in ours if line.account.startswith("spent:"))
        return Entry(
            **base,
            amount=Money(spent, currency),
            budget_line_ids=touched,
            description=descriptions.get(transaction.disbursement_id),
        )
    # Reallocations between lines, transfers to the general fund, corrections: what moved.
    return Entry(**base, amount=Money(moved, currency), budget_line_ids=touched)


def _base_query(appeal: Appeal) -> Select[Any]:
    return (
        select(LedgerTransaction)
        .where(LedgerTransaction.appeal_id == appeal.id)
        .options(selectinload(LedgerTransaction.lines))
    )


def page(appeal: Appeal, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """Page `number` (from 1) of the appeal's movements, newest first."""
    rows = list(
        db.session.scalars(
            _base_query(appeal).order_by(*_order()).offset((number - 1) * size).limit(size + 1)
        )
    )
    lines = {line.id: line for line in appeal.budget_lines}
    return Page(_entries(rows[:size], appeal), number, len(rows) > size, lines=lines)


def encode_cursor(entry: Entry) -> str:
    raw = json.dumps([entry.occurred_at.isoformat(), entry.seq]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, seq = json.loads(raw)
        if type(seq) is not int or not 0 < seq < 2**62:
            raise ValueError(seq)
        return datetime.fromisoformat(moment), seq
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise LedgerCursorError(cursor) from exc


def cursor_page(appeal: Appeal, cursor: str | None, limit: int) -> Page:
    """For the API: the entries after `cursor` (newest first) and the next cursor."""
    stmt = _base_query(appeal)
    if cursor:
        moment, seq = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                LedgerTransaction.occurred_at < moment,
                and_(LedgerTransaction.occurred_at == moment, LedgerTransaction.seq < seq),
            )
        )
    rows = list(db.session.scalars(stmt.order_by(*_order()).limit(limit + 1)))
    entries = _entries(rows[:limit], appeal)
    more = len(rows) > limit
    lines = {line.id: line for line in appeal.budget_lines}
    return Page(
        entries,
        has_next=more,
        next_cursor=encode_cursor(entries[-1]) if more and entries else None,
        lines=lines,
    )


# Finding one's own gift ------------------------------------------------------------------


def find_gift(appeal: Appeal, code: str, size: int = PAGE_SIZE) -> tuple[int, int] | None:
    """(page number, seq) of the gift with this receipt code in this appeal's ledger, or None.
    Looked up by the keyed blind index only; a code of another appeal's gift finds nothing."""
    if not receipt_codes.looks_like_a_code(code):
        return None
    row = db.session.execute(
        select(LedgerTransaction.occurred_at, LedgerTransaction.seq)
        .join(Donation, Donation.id == LedgerTransaction.donation_id)
        .where(
            Donation.receipt_code_lookup == receipt_codes.lookup_key(code),
            Donation.appeal_id == appeal.id,
            Donation.status.in_(
                [
                    DonationStatus.CONFIRMED.value,
                    DonationStatus.REFUNDED.value,
                    DonationStatus.DISPUTED.value,
                ]
            ),
            LedgerTransaction.appeal_id == appeal.id,
            LedgerTransaction.kind.in_(GIFT_KINDS),
        )
        .order_by(LedgerTransaction.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    moment, seq = row
    newer = db.session.scalar(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(
            LedgerTransaction.appeal_id == appeal.id,
            or_(
                LedgerTransaction.occurred_at > moment,
                and_(LedgerTransaction.occurred_at == moment, LedgerTransaction.seq > seq),
            ),
        )
    )
    return int(newer or 0) // size + 1, seq


# The checkpoint --------------------------------------------------------------------------


def newest_checkpoint() -> LedgerCheckpoint | None:
    return db.session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1)
    ).first()
