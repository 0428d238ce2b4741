"""Money paid out of an appeal's budget line, with proof.

A treasurer records the payment: the line, the amount in the appeal's currency, the day it was
paid, who was paid (the person, or a supplier such as a landlord) with a note only staff read,
a short public description (through the publication safety check) and the proof, uploaded
through the evidence rules of the case (type decided by the bytes, metadata stripped,
encrypted, never public).

* A payment above DISBURSEMENT_APPROVAL_MINOR waits for a second person (the one four-eyes
  rule of accounts.policy: never the one who recorded it); a smaller one is approved as it is
  recorded.
* Spending more than the line has funded and not yet spent (less what other payments waiting
  for approval on it would take) is refused, unless the treasurer overrides it on purpose and
  says why; the override is audited (never the reason or the amount).
* Only an approved payment posts to the ledger ("disbursement": debit spent:<line>, credit
  payouts) and moves the line's "spent", under the appeal's lock taken first. A rejected or
  withdrawn one posts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.campaigns import funding, visibility
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.cases import evidence
from ngo.cases.errors import CaseError
from ngo.cases.models import Beneficiary, EvidenceItem, EvidenceKind
from ngo.donations import chart, ledger
from ngo.donations.ledger import Posting
from ngo.donations.models import Disbursement, DisbursementStatus, PayeeKind
from ngo.donations.public_text import refuse_private_values
from ngo.extensions import db
from ngo.money import Money, format_money
from ngo.rules import RuleError
from ngo.timeutil import utcnow

DESCRIPTION_MAX = 200
NOTE_MAX = 2000
REASON_MAX = 1000
PROOF_TITLE = "Proof of payment"
MEMO = "Disbursement"


class DisbursementError(RuleError):
    pass


@dataclass(frozen=True)
class Proof:
    data: bytes
    filename: str


@dataclass(frozen=True)
class NewDisbursement:
    budget_line_id: int | None
    amount_minor: int
    paid_on: date | None
    payee_kind: str
    payee_note: str
    public_description: str
    proof: Proof | None
    override: bool = False
    override_reason: str = ""


def approval_threshold_minor() -> int:
    return int(current_app.config["DISBURSEMENT_APPROVAL_MINOR"])


def needs_approval(amount_minor: int) -> bool:
    return amount_minor > approval_threshold_minor()


# Checking what was typed --------------------------------------------------------------------


def _line_of(appeal: Appeal, budget_line_id: int | None) -> BudgetLine:
    line = db.session.get(BudgetLine, budget_line_id) if budget_line_id is not None else None
    if line is None or line.appeal_id != appeal.id:
        raise DisbursementError(_l("Choose one of this appeal's budget lines."), "budget_line")
    return line


def _checked_amount(amount_minor: object) -> int:
    if type(amount_minor) is not int or amount_minor <= 0:
        raise DisbursementError(_l("Enter an amount above zero."), "amount")
    return amount_minor


def _checked_date(paid_on: date | None) -> date:
    if paid_on is None:
        raise DisbursementError(_l("Enter the day it was paid."), "paid_on")
    if paid_on > utcnow().date():
        raise DisbursementError(_l("The day it was paid cannot be in the future."), "paid_on")
    return paid_on


def _checked_kind(kind: str) -> PayeeKind:
    try:
        return PayeeKind(kind)
    except ValueError:
        raise DisbursementError(
            _l("Say whether the person or a supplier was paid."), "payee_kind"
        ) from None


def _checked_text(text: str, limit: int, field: str, *, required: object = None) -> str:
    clean = (text or "").strip()
    if required is not None and not clean:
        raise DisbursementError(required, field)
    if len(clean) > limit:
        raise DisbursementError(_l("Use at most %(max)d characters here.", max=limit), field)
    return clean


def public_description_of(text: str) -> str:
    """The description as the public pages show it: one line, spaces collapsed."""
    return " ".join((text or "").split())


# Funds -----------------------------------------------------------------------------------


def waiting_on_line(line_id: int, *, session: Session | None = None) -> int:
    """What payments still waiting for approval would take from the line."""
    session = session or db.session()
    total = session.scalar(
        select(func.coalesce(func.sum(Disbursement.amount_minor), 0)).where(
            Disbursement.budget_line_id == line_id,
            Disbursement.status == DisbursementStatus.AWAITING_APPROVAL.value,
        )
    )
    return int(total or 0)


def available_minor(line: BudgetLine, *, including_waiting: bool = True) -> int:
    """What the line has funded and not spent (nor promised to a payment waiting)."""
    available = line.funded_minor - line.spent_minor
    if including_waiting:
        available -= waiting_on_line(line.id)
    return available


def _too_much(appeal: Appeal, available: int) -> DisbursementError:
    return DisbursementError(
        _l(
            "This is more than the line has funded and not yet spent (%(available)s is "
            "available). To pay it anyway, tick the override and say why.",
            available=format_money(Money(max(available, 0), appeal.currency)),
        ),
        "amount",
    )


# Recording -------------------------------------------------------------------------------


def record_disbursement(appeal: Appeal, new: NewDisbursement, *, actor: User) -> Disbursement:
    """Record a payment out of one of the appeal's lines; approved (and posted) at once unless
    it is above the threshold. Every check runs before anything is written."""
    line = _line_of(appeal, new.budget_line_id)
    amount = _checked_amount(new.amount_minor)
    paid_on = _checked_date(new.paid_on)
    kind = _checked_kind(new.payee_kind)
    note = _checked_text(new.payee_note, NOTE_MAX, "payee_note")
    description = public_description_of(
        _checked_text(
            new.public_description,
            DESCRIPTION_MAX,
            "public_description",
            required=_l("Describe the payment for the public page, in a few words."),
        )
    )
    reason = _checked_text(new.override_reason, REASON_MAX, "override_reason")
    refuse_private_values(appeal, "public_description", description, _l("public description"))
    if new.proof is None or not new.proof.data:
        raise DisbursementError(_l("Upload the proof of payment."), "proof")
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None:
        raise DisbursementError(_l("The person's data was erased."))

    # The appeal's lock first (then the ledger's, then the audit log's): the funds read below
    # cannot change until this transaction ends.
    appeal = funding.lock_for_money(appeal.id)
    line = db.session.get(BudgetLine, line.id) or line
    available = available_minor(line)
    overspend = amount > available
    if overspend and not new.override:
        raise _too_much(appeal, available)
    if overspend and not reason:
        raise DisbursementError(
            _l("Say why this payment may take more than the line has funded."),
            "override_reason",
        )
    try:
        proof = evidence.upload_evidence(
            beneficiary,
            kind=EvidenceKind.QUOTE_OR_INVOICE,
            title=PROOF_TITLE,
            data=new.proof.data,
            filename=new.proof.filename,
            actor=actor,
        )
    except CaseError as exc:
        raise DisbursementError(exc.message, "proof") from exc

    disbursement = Disbursement(
        organisation_id=appeal.organisation_id,
        appeal_id=appeal.id,
        budget_line_id=line.id,
        amount_minor=amount,
        currency=appeal.currency,
        paid_on=paid_on,
        payee_kind=kind.value,
        payee_note=note or None,
        public_description=description,
        proof_evidence_id=proof.id,
        status=DisbursementStatus.AWAITING_APPROVAL.value,
        overspend_override=overspend,
        override_reason=reason if overspend else None,
        recorded_by_id=actor.id,
    )
    db.session.add(disbursement)
    db.session.flush()
    waits = needs_approval(amount)
    audit.record_change(
        disbursement,
        actor,
        "disbursement.recorded",
        appeal_id=appeal.id,
        budget_line_id=line.id,
        payee_kind=kind.value,
        needs_approval=waits,
    )
    if overspend:
        audit.record_change(
            disbursement, actor, "disbursement.overspend_override", appeal_id=appeal.id
        )
    if not waits:
        _post(disbursement, appeal, line, actor)
    return disbursement


# Deciding --------------------------------------------------------------------------------


def approval_refusal(disbursement: Disbursement, actor: User) -> str | None:
    """Why `actor` may not approve or reject it (they recorded it), or None."""
    return four_eyes_refusal(actor.id, authors=[disbursement.recorded_by_id])


def _locked_waiting(disbursement: Disbursement) -> tuple[Appeal, BudgetLine]:
    appeal = funding.lock_for_money(disbursement.appeal_id)
    db.session.refresh(disbursement, with_for_update=True)
    if disbursement.status != DisbursementStatus.AWAITING_APPROVAL.value:
        raise DisbursementError(_l("This payment was already decided."))
    line = db.session.get(BudgetLine, disbursement.budget_line_id)
    assert line is not None  # a foreign key
    return appeal, line


def approve_disbursement(disbursement: Disbursement, *, actor: User) -> None:
    """The second person approves: the payment posts to the ledger and counts as spent."""
    refusal = approval_refusal(disbursement, actor)
    if refusal is not None:
        raise DisbursementError(refusal)
    appeal, line = _locked_waiting(disbursement)
    available = available_minor(line, including_waiting=False)
    if disbursement.amount_minor > available and not disbursement.overspend_override:
        raise DisbursementError(
            _l(
                "The line no longer has enough funded money for this payment (%(available)s "
                "is available). Reject it, and record it again with an override if it must "
                "be paid.",
                available=format_money(Money(max(available, 0), appeal.currency)),
            )
        )
    _post(disbursement, appeal, line, actor)
    audit.record_change(disbursement, actor, "disbursement.approved", appeal_id=appeal.id)


def reject_disbursement(disbursement: Disbursement, *, actor: User) -> None:
    """A second person refuses it: nothing is posted."""
    refusal = approval_refusal(disbursement, actor)
    if refusal is not None:
        raise DisbursementError(refusal)
    _decide_without_posting(disbursement, actor, DisbursementStatus.REJECTED)


def withdraw_disbursement(disbursement: Disbursement, *, actor: User) -> None:
    """Whoever recorded it takes it back before it was decided: nothing is posted."""
    if disbursement.recorded_by_id != actor.id:
        raise DisbursementError(_l("Only whoever recorded a payment can withdraw it."))
    _decide_without_posting(disbursement, actor, DisbursementStatus.WITHDRAWN)


def _decide_without_posting(
    disbursement: Disbursement, actor: User, status: DisbursementStatus
) -> None:
    appeal, _line = _locked_waiting(disbursement)
    disbursement.status = status.value
    disbursement.decided_by_id = actor.id
    disbursement.decided_at = utcnow()
    db.session.flush()
    audit.record_change(disbursement, actor, f"disbursement.{status.value}", appeal_id=appeal.id)


def _post(disbursement: Disbursement, appeal: Appeal, line: BudgetLine, actor: User) -> None:
    amount, currency = disbursement.amount_minor, disbursement.currency
    transaction = ledger.post(
        organisation_id=appeal.organisation_id,
        kind="disbursement",
        postings=[
            Posting(chart.line_spent(line.id), amount, currency, appeal.id, line.id),
            Posting(chart.PAYOUTS, -amount, currency, appeal.id),
        ],
        memo=MEMO,
        appeal_id=appeal.id,
        disbursement_id=disbursement.id,
        occurred_at=datetime.combine(disbursement.paid_on, time()),
    )
    funding.move_counters(appeal, spent={line.id: amount})
    disbursement.status = DisbursementStatus.APPROVED.value
    disbursement.decided_by_id = actor.id
    disbursement.decided_at = utcnow()
    disbursement.ledger_transaction_id = transaction.id
    db.session.flush()
    # The public page shows the line's spending: cached copies of it are stale now.
    visibility.bump_public_version(db.session())


# Reading ---------------------------------------------------------------------------------


def disbursements_of(appeal: Appeal) -> list[Disbursement]:
    """The appeal's payments, waiting ones first, then newest first."""
    waiting = Disbursement.status == DisbursementStatus.AWAITING_APPROVAL.value
    return list(
        db.session.scalars(
            select(Disbursement)
            .where(Disbursement.appeal_id == appeal.id)
            .order_by(waiting.desc(), Disbursement.paid_on.desc(), Disbursement.id.desc())
        )
    )


def proof_of(disbursement: Disbursement) -> EvidenceItem | None:
    if disbursement.proof_evidence_id is None:
        return None
    return db.session.get(EvidenceItem, disbursement.proof_evidence_id)
