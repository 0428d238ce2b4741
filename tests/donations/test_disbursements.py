"""Disbursements: money paid out of a budget line with proof. Four eyes above the threshold,
an audited override to spend beyond what the line has funded, the ledger and the counters
moved only by an approved payment, and every refusal leaving nothing behind."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.cases.models import EvidenceItem
from ngo.donations import chart, disbursements, ledger
from ngo.donations.disbursements import DisbursementError, NewDisbursement, Proof
from ngo.donations.models import Disbursement, DisbursementStatus, LedgerTransaction
from ngo.donations.public_text import PublicTextError
from ngo.extensions import db
from tests import factories
from tests.donations.test_confirmation import assert_ledger_agrees, lines_of

THRESHOLD = 50_000


@pytest.fixture
def app_config():
    return {"DISBURSEMENT_APPROVAL_MINOR": THRESHOLD}


def pdf() -> bytes:
    return factories.sample_pdf()


def new(line, amount=20_000, **changes) -> NewDisbursement:
    values = {
        "budget_line_id": line.id if line is not None else None,
        "amount_minor": amount,
        "paid_on": date.today(),
        "payee_kind": "supplier",
        "payee_note": "Landlord: Jan Nowak, ul. Lipowa 5",
        "public_description": "Rent for March",
        "proof": Proof(pdf(), "invoice-nowak.pdf"),
    }
    values.update(changes)
    return NewDisbursement(**values)


def counts() -> tuple[int, int, int, int]:
    """Disbursements, ledger transactions, evidence items, audit events."""
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Disbursement, LedgerTransaction, EvidenceItem, AuditEvent)
    )


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_small_payment_is_approved_as_recorded_and_posts_to_the_ledger(appeal, give, staff):
    give(100_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(appeal, new(rent), actor=staff["treasurer"])
    assert payment.status == DisbursementStatus.APPROVED
    assert payment.decided_by_id == staff["treasurer"].id
    rent = lines_of(appeal)[1]
    assert rent.spent_minor == 20_000
    assert rent.funded_minor == 100_000
    transaction = db.session.get(LedgerTransaction, payment.ledger_transaction_id)
    assert transaction.kind == "disbursement"
    assert transaction.disbursement_id == payment.id
    postings = {
        (line.account, line.amount_minor, line.budget_line_id) for line in transaction.lines
    }
    assert postings == {
        (chart.line_spent(rent.id), 20_000, rent.id),
        (chart.PAYOUTS, -20_000, None),
    }
    assert db.session.get(Appeal, appeal.id).raised_minor == 100_000
    assert_ledger_agrees()


def test_the_proof_is_evidence_of_the_case_and_the_note_is_encrypted(appeal, give, staff):
    give(100_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(appeal, new(rent), actor=staff["treasurer"])
    proof = db.session.get(EvidenceItem, payment.proof_evidence_id)
    assert proof.beneficiary_id == appeal.beneficiary_id
    assert proof.content_type == "application/pdf"
    raw = db.session.execute(
        text("SELECT payee_note FROM disbursements WHERE id = :id"), {"id": payment.id}
    ).scalar_one()
    assert b"Nowak" not in bytes(raw)
    # The audit says what happened, never the amount, the payee or the description.
    details = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)) if e.details)
    assert "Nowak" not in details and "20000" not in details and "Rent" not in details


def test_a_large_payment_waits_for_a_second_person_and_posts_nothing_until_then(
    appeal, give, staff, make_user
):
    give(210_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(
        appeal, new(rent, 150_000), actor=staff["treasurer"]
    )
    assert payment.status == DisbursementStatus.AWAITING_APPROVAL
    assert payment.ledger_transaction_id is None
    assert lines_of(appeal)[1].spent_minor == 0
    with pytest.raises(DisbursementError, match="second person"):
        disbursements.approve_disbursement(payment, actor=staff["treasurer"])
    assert lines_of(appeal)[1].spent_minor == 0
    disbursements.approve_disbursement(payment, actor=staff["admin"])
    assert payment.status == DisbursementStatus.APPROVED
    assert payment.decided_by_id == staff["admin"].id
    assert lines_of(appeal)[1].spent_minor == 150_000
    assert "disbursement.approved" in actions()
    with pytest.raises(DisbursementError, match="already decided"):
        disbursements.approve_disbursement(payment, actor=make_user("treasurer"))
    assert lines_of(appeal)[1].spent_minor == 150_000
    assert_ledger_agrees()


@pytest.mark.parametrize("decision", ["reject", "withdraw"])
def test_a_rejected_or_withdrawn_payment_posts_nothing(appeal, give, staff, decision):
    give(210_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(
        appeal, new(rent, 150_000), actor=staff["treasurer"]
    )
    before = db.session.scalar(select(func.count()).select_from(LedgerTransaction))
    if decision == "reject":
        with pytest.raises(DisbursementError):
            disbursements.reject_disbursement(payment, actor=staff["treasurer"])
        disbursements.reject_disbursement(payment, actor=staff["admin"])
        assert payment.status == DisbursementStatus.REJECTED
    else:
        with pytest.raises(DisbursementError, match="Only whoever recorded"):
            disbursements.withdraw_disbursement(payment, actor=staff["admin"])
        disbursements.withdraw_disbursement(payment, actor=staff["treasurer"])
        assert payment.status == DisbursementStatus.WITHDRAWN
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction)) == before
    assert lines_of(appeal)[1].spent_minor == 0
    with pytest.raises(DisbursementError, match="already decided"):
        disbursements.approve_disbursement(payment, actor=staff["admin"])
    assert_ledger_agrees()


def test_spending_beyond_what_the_line_funded_needs_an_override_with_a_reason(appeal, give, staff):
    give(30_000)
    rent = lines_of(appeal)[1]
    db.session.commit()
    before = counts()
    with pytest.raises(DisbursementError, match="more than the line has funded") as refused:
        disbursements.record_disbursement(appeal, new(rent, 30_001), actor=staff["treasurer"])
    assert refused.value.field == "amount"
    with pytest.raises(DisbursementError, match="Say why") as refused:
        disbursements.record_disbursement(
            appeal, new(rent, 30_001, override=True, override_reason="  "), actor=staff["treasurer"]
        )
    assert refused.value.field == "override_reason"
    db.session.rollback()
    assert counts() == before
    appeal = db.session.get(Appeal, appeal.id)
    payment = disbursements.record_disbursement(
        appeal,
        new(rent, 40_000, override=True, override_reason="The landlord would not wait"),
        actor=staff["treasurer"],
    )
    assert payment.overspend_override and payment.status == DisbursementStatus.APPROVED
    assert lines_of(appeal)[1].spent_minor == 40_000
    assert "disbursement.overspend_override" in actions()
    override = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disbursement.overspend_override")
    ).one()
    assert "wait" not in str(override.details) and "40000" not in str(override.details)
    assert_ledger_agrees()


def test_an_override_that_is_not_needed_is_not_recorded_as_one(appeal, give, staff):
    give(30_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(
        appeal,
        new(rent, 10_000, override=True, override_reason="just in case"),
        actor=staff["treasurer"],
    )
    assert not payment.overspend_override and payment.override_reason is None
    assert "disbursement.overspend_override" not in actions()


def test_payments_waiting_for_approval_count_against_the_line(appeal, give, staff):
    give(210_000)
    rent = lines_of(appeal)[1]
    disbursements.record_disbursement(appeal, new(rent, 150_000), actor=staff["treasurer"])
    with pytest.raises(DisbursementError, match="more than the line"):
        disbursements.record_disbursement(appeal, new(rent, 70_000), actor=staff["treasurer"])


def test_approval_checks_the_funds_again(appeal, give, staff):
    gift = give(210_000)
    rent = lines_of(appeal)[1]
    payment = disbursements.record_disbursement(
        appeal, new(rent, 200_000), actor=staff["treasurer"]
    )
    from ngo.donations.confirmation import reverse_donation

    reverse_donation(gift, 100_000, kind="refund")
    with pytest.raises(DisbursementError, match="no longer has enough"):
        disbursements.approve_disbursement(payment, actor=staff["admin"])
    assert lines_of(appeal)[1].spent_minor == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_minor": 0}, "amount"),
        ({"amount_minor": -500}, "amount"),
        ({"amount_minor": 12.5}, "amount"),
        ({"paid_on": None}, "paid_on"),
        ({"paid_on": date.today() + timedelta(days=2)}, "paid_on"),
        ({"payee_kind": "landlord"}, "payee_kind"),
        ({"public_description": "   "}, "public_description"),
        ({"public_description": "x" * 201}, "public_description"),
        ({"proof": None}, "proof"),
        ({"proof": Proof(b"GIF89a not a document", "proof.gif")}, "proof"),
        ({"proof": Proof(b"MZ\x90\x00 an executable", "invoice.pdf")}, "proof"),
        ({"proof": Proof(b"%PDF-1.4 broken", "invoice.pdf")}, "proof"),
    ],
)
def test_bad_input_is_refused_and_leaves_nothing(appeal, give, staff, changes, field):
    give(100_000)
    rent = lines_of(appeal)[1]
    db.session.commit()
    before = counts()
    with pytest.raises(DisbursementError) as refused:
        disbursements.record_disbursement(appeal, new(rent, **changes), actor=staff["treasurer"])
    assert refused.value.field == field
    db.session.rollback()
    assert counts() == before
    assert lines_of(appeal)[1].spent_minor == 0


def test_a_line_of_another_appeal_is_refused(appeal, give, staff, organisation):
    give(100_000)
    other = factories.AppealFactory(
        beneficiary=factories.seed_case(organisation, staff["caseworker"], staff["verifier"]),
        actor=staff["caseworker"],
        lines=[("Other rent", 100_000, True)],
    )
    other_line = db.session.scalars(
        select(BudgetLine).where(BudgetLine.appeal_id == other.id)
    ).one()
    with pytest.raises(DisbursementError, match="this appeal's budget lines") as refused:
        disbursements.record_disbursement(appeal, new(other_line), actor=staff["treasurer"])
    assert refused.value.field == "budget_line"
    with pytest.raises(DisbursementError):
        disbursements.record_disbursement(appeal, new(None), actor=staff["treasurer"])


@pytest.mark.parametrize(
    "description",
    ["Rent for the Kavaliou family", "Rent, ask at +48 600 100 200", "Кавалёў: rent"],
)
def test_an_unsafe_public_description_is_refused_naming_the_problem(
    appeal, give, staff, description
):
    give(100_000)
    rent = lines_of(appeal)[1]
    db.session.commit()
    before = counts()
    with pytest.raises(PublicTextError) as refused:
        disbursements.record_disbursement(
            appeal, new(rent, public_description=description), actor=staff["treasurer"]
        )
    assert refused.value.field == "public_description"
    assert "public description" in str(refused.value.message)
    # The message names the kind of value, never the value; the findings carry the context.
    assert "Kavaliou" not in str(refused.value.message)
    assert "600 100" not in str(refused.value.message)
    assert refused.value.findings and "[[" in refused.value.findings[0].context
    db.session.rollback()
    assert counts() == before


def test_a_photo_as_proof_loses_its_metadata(appeal, give, staff):
    give(100_000)
    rent = lines_of(appeal)[1]
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(buffer, "JPEG", exif=exif)
    payment = disbursements.record_disbursement(
        appeal, new(rent, proof=Proof(buffer.getvalue(), "photo.jpg")), actor=staff["treasurer"]
    )
    from ngo.cases.evidence import read_evidence_file

    stored = read_evidence_file(db.session.get(EvidenceItem, payment.proof_evidence_id))
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


def test_ledger_verify_sees_a_spent_counter_that_moved_without_the_ledger(appeal, give, staff):
    give(100_000)
    rent = lines_of(appeal)[1]
    disbursements.record_disbursement(appeal, new(rent), actor=staff["treasurer"])
    db.session.execute(
        BudgetLine.__table__.update()
        .where(BudgetLine.__table__.c.id == rent.id)
        .values(spent_minor=BudgetLine.__table__.c.spent_minor + 1)
    )
    report = ledger.verify()
    assert any("spent" in difference for difference in report.counter_differences)


def test_erasing_the_case_removes_the_payment_notes_and_keeps_the_payment(appeal, give, staff):
    from ngo import signals
    from ngo.cases.models import Beneficiary
    from ngo.donations.models import Disbursement

    give(100_000)
    payment = disbursements.record_disbursement(
        appeal, new(lines_of(appeal)[1]), actor=staff["treasurer"]
    )
    person = db.session.get(Beneficiary, appeal.beneficiary_id)
    signals.case_erased.send(person, actor=staff["admin"])
    db.session.expire_all()
    kept = db.session.get(Disbursement, payment.id)
    assert kept.payee_note is None and kept.override_reason is None
    assert kept.amount_minor == 20_000 and kept.public_description
    assert_ledger_agrees()
