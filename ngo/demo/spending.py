"""Demo payments out of appeals' budget lines, through the disbursements service: each has its
proof (a sample invoice, stored as the case's evidence, never public), is recorded by the
treasurer and, above the threshold, approved by a second person, so the demo's "spent" figures
are the ledger's."""

from __future__ import annotations

from datetime import date, timedelta

from ngo.accounts.models import User
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.demo.documents import tiny_pdf
from ngo.donations import disbursements
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.donations.models import DisbursementStatus, PayeeKind


def demo_payment(
    appeal: Appeal,
    line: BudgetLine,
    amount_minor: int,
    *,
    recorder: User,
    approver: User,
    days_ago: int,
    description: str = "Paid as budgeted",
    payee_kind: PayeeKind = PayeeKind.SUPPLIER,
    payee_note: str = "Demo supplier",
) -> None:
    paid_on = date.today() - timedelta(days=days_ago)
    invoice = tiny_pdf(
        "Invoice (demo)", [description, f"Amount: {amount_minor / 100:.2f} {appeal.currency}"]
    )
    payment = disbursements.record_disbursement(
        appeal,
        NewDisbursement(
            budget_line_id=line.id,
            amount_minor=amount_minor,
            paid_on=paid_on,
            payee_kind=payee_kind.value,
            payee_note=payee_note,
            public_description=description,
            proof=Proof(invoice, "invoice.pdf"),
        ),
        actor=recorder,
    )
    if payment.status == DisbursementStatus.AWAITING_APPROVAL:
        disbursements.approve_disbursement(payment, actor=approver)
