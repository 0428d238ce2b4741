"""Settling the payment fee of a gift that was confirmed before its fee was known.

An online gift is confirmed from Stripe's signed webhook without asking Stripe what it charged
(that is a round trip to Stripe inside the webhook, and a Stripe outage would then fail every
webhook): the worker asks afterwards (`donations.tasks.settle_stripe_fee`) and posts the fee
here, as its own balanced ledger transaction (kind ``fee``), once per gift.

How the gift looks before and after, so that every public figure is true to the cent at every
moment (the counters move in the transaction that posts to the journal, and `ledger verify`
holds in between):

* At the confirmation the whole gift counts as raised, as it does once the fee is known (an
  appeal's raised figure includes what paid its fees). The fee the rule expects
  (`fees.estimated_fee`), or for a gift whose donor chose to cover the fee exactly what they
  added for it, is *held back* on the appeal's fee-pending fund; only the rest is allocated
  to the lines. So a line never shows money that will go to Stripe, and for a covered gift the
  lines receive exactly what the donor meant them to.
* When the fee is known, the fee-pending fund is emptied: the fee goes to the appeal's fees
  fund (in the gift's currency: clearing to the fees expense), and what was held beyond it is
  allocated by the appeal's rule like new money (lines that filled up meanwhile are passed
  over). A fee above what was held is taken from what the gift funded, each fund account in
  the share it received (the rule refunds follow), a line giving at most what it holds now.
* A refund or chargeback that came before the fee takes its share of the held amount back
  with everything else (`reverse_donation`), and the fund side of the fee is then only the part
  of the fee that the remaining gift bears: what a refund after the fee would have left on the
  fees fund. The fee itself is always expensed in full (Stripe keeps it on a refund).
* The method the donor used (card, BLIK, Przelewy24, SEPA Direct Debit) is only known from the
  charge too: if it is not the one the gift was confirmed with, the same transaction moves the
  gift's clearing and fee balances to the right method's accounts.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ngo.campaigns import funding
from ngo.campaigns.giving import LineState
from ngo.campaigns.models import AllocationRule, Appeal, OverfundingPolicy
from ngo.donations import chart, ledger
from ngo.donations.allocation import allocate, share_back
from ngo.donations.confirmation import DonationStateError, held_for, within_what_lines_hold
from ngo.donations.ledger import Posting
from ngo.donations.models import Donation, DonationStatus, JournalLine, LedgerTransaction
from ngo.extensions import db

FEE_TRANSACTION_KIND = "fee"
_SETTLEABLE = (DonationStatus.CONFIRMED, DonationStatus.REFUNDED, DonationStatus.DISPUTED)


def fee_settled(donation_id: int, session: Session | None = None) -> bool:
    session = session or db.session()
    found = session.scalar(
        select(LedgerTransaction.id)
        .where(
            LedgerTransaction.donation_id == donation_id,
            LedgerTransaction.kind == FEE_TRANSACTION_KIND,
        )
        .limit(1)
    )
    return found is not None


def _method_balances(donation: Donation, method: str, session: Session) -> dict[str, int]:
    """The gift's own balances on the clearing and fees accounts of `method`."""
    accounts = (chart.clearing(method), chart.fees(method))
    rows = session.execute(
        select(JournalLine.account, func.sum(JournalLine.amount_minor))
        .join(LedgerTransaction)
        .where(
            LedgerTransaction.donation_id == donation.id,
            JournalLine.account.in_(accounts),
            JournalLine.currency == donation.currency,
        )
        .group_by(JournalLine.account)
    )
    return {account: int(total) for account, total in rows}


def settle_fee(
    donation: Donation,
    fee_minor: int,
    *,
    method: str | None = None,
    session: Session | None = None,
) -> bool:
    """Post the fee the provider charged for a gift confirmed with its fee held back, in the
    gift's currency; `method` is the one the donor paid with. False, changing nothing, if the
    gift's fee was settled before (the handler ran twice)."""
    session = session or db.session()
    session.flush()
    appeal = funding.lock_for_money(donation.appeal_id, session)
    session.refresh(donation, with_for_update=True)
    if donation.status not in _SETTLEABLE:
        raise DonationStateError(f"a {donation.status} donation has no fee to settle")
    if fee_settled(donation.id, session):
        return False
    if not 0 <= fee_minor <= donation.amount_minor:
        raise DonationStateError("the fee is more than the gift")
    method = method or donation.method
    currency = donation.currency
    postings: list[Posting] = []
    if method != donation.method:
        balances = _method_balances(donation, donation.method, session)
        for old, new in (
            (chart.clearing(donation.method), chart.clearing(method)),
            (chart.fees(donation.method), chart.fees(method)),
        ):
            moved = balances.get(old, 0)
            postings += [Posting(old, -moved, currency), Posting(new, moved, currency)]
    postings += [
        Posting(chart.fees(method), fee_minor, currency),
        Posting(chart.clearing(method), -fee_minor, currency),
    ]
    funded = _fund_side(donation, fee_minor, appeal, postings, session)
    if any(p.amount_minor for p in postings):
        ledger.post(
            organisation_id=donation.organisation_id,
            kind=FEE_TRANSACTION_KIND,
            postings=postings,
            memo="Payment fee",
            appeal_id=appeal.id,
            donation_id=donation.id,
            session=session,
        )
    if funded:
        funding.move_counters(appeal, funded=funded, session=session)
    donation.fee_minor = fee_minor
    donation.method = method
    session.flush()
    return True


def _fund_side(
    donation: Donation,
    fee_minor: int,
    appeal: Appeal,
    postings: list[Posting],
    session: Session,
) -> dict[int, int]:
    """Add the fund accounts' side of the fee to `postings`; the change of each line's
    funded figure."""
    currency = appeal.currency
    held = held_for(donation, session)
    pending = held.pop((chart.appeal_fee_pending(appeal.id), None), 0)
    held.pop((chart.appeal_fees(appeal.id), None), None)
    amount = donation.amount_minor
    gross = donation.appeal_amount_minor or 0
    # The fee in the appeal's currency at the rate the gift was confirmed with, and the part
    # of it the gift still bears after what was taken back before (rounded as refunds are).
    fee_in_appeal = fee_minor if currency == appeal.currency else gross * fee_minor // amount
    borne = fee_in_appeal - fee_in_appeal * donation.reversed_minor // amount
    postings += [
        Posting(chart.appeal_fee_pending(appeal.id), pending, currency, appeal.id),
        Posting(chart.appeal_fees(appeal.id), -borne, currency, appeal.id),
    ]
    funded: dict[int, int] = {}
    left = pending - borne
    if left > 0:
        # Held beyond the fee: new money for the lines, by the appeal's rule as they are now.
        lines = [
            LineState(line.id, line.amount_minor, line.funded_minor, line.essential, line.priority)
            for line in sorted(appeal.budget_lines, key=lambda line: (line.priority, line.id))
        ]
        designated = donation.budget_line_id
        if designated is not None and all(line.id != designated for line in lines):
            designated = None
        allocation = allocate(
            left,
            lines,
            rule=AllocationRule(appeal.allocation_rule),
            policy=OverfundingPolicy(appeal.overfunding_policy),
            designated_line_id=designated,
        )
        for line_id, share in allocation.lines.items():
            postings.append(Posting(chart.line_fund(line_id), -share, currency, appeal.id, line_id))
            funded[line_id] = share
        postings.append(
            Posting(chart.appeal_reserve(appeal.id), -allocation.reserve_minor, currency, appeal.id)
        )
        postings.append(
            Posting(chart.GENERAL_FUND, -allocation.general_fund_minor, currency, appeal.id)
        )
    elif left < 0:
        # The fee was more than was held: the rest comes from what the gift funded.
        owed = -left
        take = min(owed, sum(held.values()))
        shares = within_what_lines_hold(share_back(take, held), appeal) if take else {}
        if owed > take:
            reserve = (chart.appeal_reserve(appeal.id), None)
            shares[reserve] = shares.get(reserve, 0) + owed - take
        for (account, from_line), share in shares.items():
            postings.append(Posting(account, share, currency, appeal.id, from_line))
            if from_line is not None:
                funded[from_line] = funded.get(from_line, 0) - share
    return funded
