"""The staff pages of disbursements over HTTP: the form and its refusals, approval by a second
person, the proof's audited download, and who may use them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.donations.models import Disbursement, DisbursementStatus, LedgerTransaction
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.donations.test_confirmation import assert_ledger_agrees, lines_of
from tests.helpers import page_text


@pytest.fixture
def app_config():
    return {"DISBURSEMENT_APPROVAL_MINOR": 50_000}


def form(line, **changes):
    values = {
        "budget_line": str(line.id),
        "amount": "200.00",
        "paid_on": date.today().isoformat(),
        "payee_kind": "supplier",
        "payee_note": "Landlord Jan Nowak",
        "public_description": "Rent for March",
        "proof": (io.BytesIO(factories.sample_pdf()), "invoice.pdf"),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def treasurer_client(client, staff):
    login(client, staff["treasurer"])
    return client


def test_a_treasurer_records_a_payment_and_the_public_page_shows_it(
    treasurer_client, appeal, give, client
):
    give(100_000)
    rent = lines_of(appeal)[1]
    url = f"/staff/disbursements/{appeal.slug}"
    assert treasurer_client.get("/staff/disbursements").status_code == 200
    assert treasurer_client.get(url).status_code == 200
    response = treasurer_client.post(url, data=form(rent), content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response)[:2000]
    payment = db.session.scalars(select(Disbursement)).one()
    assert payment.status == DisbursementStatus.APPROVED
    assert lines_of(appeal)[1].spent_minor == 20_000
    listing = page_text(treasurer_client.get(url))
    assert "Rent for March" in listing and "Landlord Jan Nowak" in listing
    assert_ledger_agrees()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "0"}, "above zero"),
        ({"amount": "-20"}, "Negative amounts"),
        ({"amount": "2100.505"}, "decimal places"),
        ({"amount": "20,005"}, "two ways"),
        ({"amount": "twenty"}, "digits"),
        ({"amount": "100000000000000"}, "larger than any"),
        ({"paid_on": "yesterday"}, "date"),
        ({"proof": None}, "Upload the proof"),
        ({"proof": (io.BytesIO(b"GIF89a..."), "proof.pdf")}, "Only PDF, JPEG and PNG"),
        ({"public_description": "For the Kavaliou family"}, "Private information"),
        ({"amount": "1500.00"}, "more than the line has funded"),
        ({"amount": "1500.00", "override": "y", "override_reason": ""}, "Say why"),
        ({"budget_line": "999999"}, "Choose one of this appeal"),
        ({"budget_line": "abc"}, "Choose one of this appeal"),
        ({"payee_kind": "friend"}, "the person or a supplier"),
    ],
)
def test_bad_input_is_a_form_error_and_leaves_nothing(
    treasurer_client, appeal, give, changes, message
):
    give(100_000)
    rent = lines_of(appeal)[1]
    before = (count(Disbursement), count(LedgerTransaction), count(AuditEvent))
    response = treasurer_client.post(
        f"/staff/disbursements/{appeal.slug}",
        data=form(rent, **changes),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert message in page_text(response)
    # Only the audited view of the safety check's findings may be added.
    after = (count(Disbursement), count(LedgerTransaction))
    assert after == before[:2]
    new_events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > 0).order_by(AuditEvent.id)
    ).all()[before[2] :]
    assert set(new_events) <= {"case.personal_data_viewed"}
    assert lines_of(appeal)[1].spent_minor == 0


def test_an_unsafe_description_shows_where_the_value_was_found(treasurer_client, appeal, give):
    give(100_000)
    rent = lines_of(appeal)[1]
    response = treasurer_client.post(
        f"/staff/disbursements/{appeal.slug}",
        data=form(rent, public_description="Rent paid to the Kavaliou family"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "<mark>Kavaliou</mark>" in response.get_data(as_text=True)
    assert "legal surname" in page_text(response)


def test_four_eyes_over_http(client, browser, appeal, give, staff):
    give(210_000)
    rent = lines_of(appeal)[1]
    login(client, staff["treasurer"])
    response = client.post(
        f"/staff/disbursements/{appeal.slug}",
        data=form(rent, amount="1500"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    payment = db.session.scalars(select(Disbursement)).one()
    assert payment.status == DisbursementStatus.AWAITING_APPROVAL
    approve = f"/staff/disbursements/{appeal.slug}/{payment.public_id}/approve"
    refused = client.post(approve)
    assert refused.status_code == 400
    assert "second person" in page_text(refused)
    assert lines_of(appeal)[1].spent_minor == 0
    admin = browser()
    login(admin, staff["admin"])
    assert admin.post(approve).status_code == 302
    db.session.expire_all()
    assert db.session.get(Disbursement, payment.id).status == DisbursementStatus.APPROVED
    assert lines_of(appeal)[1].spent_minor == 150_000
    assert_ledger_agrees()


def test_the_proof_download_is_audited_and_never_cached(treasurer_client, appeal, give):
    give(100_000)
    rent = lines_of(appeal)[1]
    treasurer_client.post(
        f"/staff/disbursements/{appeal.slug}", data=form(rent), content_type="multipart/form-data"
    )
    payment = db.session.scalars(select(Disbursement)).one()
    response = treasurer_client.get(f"/staff/disbursements/{appeal.slug}/{payment.public_id}/proof")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert "invoice" not in response.headers["Content-Disposition"]
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "evidence.downloaded")
    )


@pytest.mark.parametrize("role", ["caseworker", "verifier", "funder"])
def test_other_roles_may_not_use_the_pages(client, appeal, make_user, role):
    login(client, make_user(role))
    assert client.get(f"/staff/disbursements/{appeal.slug}").status_code == 403
    assert client.get("/staff/disbursements").status_code == 403


def test_another_organisations_appeal_is_a_404(client, appeal):
    other = factories.OrganisationFactory()
    login(client, factories.UserFactory(role="treasurer", organisation=other))
    assert client.get(f"/staff/disbursements/{appeal.slug}").status_code == 404
