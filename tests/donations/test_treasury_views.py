"""The treasurer's upload page does what the CLI does; the queue's decisions go through the
same services; other roles are refused."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.models import Donation, DonationStatus, LineStatus, StatementLine
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.donations.statements.helpers import FIXTURES

SPARKASSE = "camt053_v02_sparkasse.xml"


@pytest.fixture
def treasurer_client(client, staff, organisation, appeal):
    add_bank_account(
        organisation,
        currency="EUR",
        iban="DE89370400440532013000",
        details=BankAccountDetails(account_holder="Hilfsverein e.V.", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )
    db.session.commit()
    login(client, staff["treasurer"])
    return client


def upload(client, data: bytes, name: str = SPARKASSE, **fields):
    return client.post(
        "/treasury/statements",
        data={"file": (io.BytesIO(data), name), "format": "", "mapping": "", **fields},
        content_type="multipart/form-data",
    )


def test_upload_matches_and_queues_like_the_cli(treasurer_client, appeal):
    gift = factories.DonationFactory(appeal=appeal, reference_code="392R-VV4T")
    db.session.commit()
    response = upload(treasurer_client, (FIXTURES / SPARKASSE).read_bytes())
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/treasury/reconciliation"
    )
    page = treasurer_client.get("/treasury/reconciliation").get_data(as_text=True)
    assert "matched 1, queued 2, duplicate 0" in page
    assert "Max Beispiel" in page and "M8Q3-WQFW" in page
    assert db.session.get(Donation, gift.id).status == DonationStatus.CONFIRMED
    again = upload(treasurer_client, (FIXTURES / SPARKASSE).read_bytes())
    assert again.status_code == 302
    assert "matched 0, queued 0, duplicate 3" in treasurer_client.get(
        "/treasury/reconciliation"
    ).get_data(as_text=True)


def test_a_malformed_upload_names_the_line_and_keeps_nothing(treasurer_client):
    response = upload(treasurer_client, (FIXTURES / SPARKASSE).read_bytes()[:3000])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "line 113" in page and "Nothing was imported" in page
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 0


def test_queue_decisions(treasurer_client, appeal):
    upload(treasurer_client, (FIXTURES / SPARKASSE).read_bytes())
    lines = db.session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    line = sorted(appeal.budget_lines, key=lambda b: b.id)[1]
    response = treasurer_client.post(
        f"/treasury/reconciliation/{lines[0].id}/assign", data={"target": f"{appeal.id}:{line.id}"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assigned = db.session.get(StatementLine, lines[0].id)
    assert assigned.status == LineStatus.ASSIGNED
    donation = db.session.get(Donation, assigned.donation_id)
    assert (donation.status, donation.budget_line_id) == (DonationStatus.CONFIRMED, line.id)
    response = treasurer_client.post(f"/treasury/reconciliation/{lines[1].id}/unrelated")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StatementLine, lines[1].id).status == LineStatus.UNRELATED
    viewed = db.session.scalar(
        select(func.count()).where(AuditEvent.action == "statement_queue.viewed")
    )
    assert viewed == 0  # nobody looked at the queue page yet in this test
    treasurer_client.get("/treasury/reconciliation")
    assert db.session.scalar(
        select(func.count()).where(AuditEvent.action == "statement_queue.viewed")
    )


@pytest.mark.parametrize("role", ["caseworker", "admin", "funder"])
def test_other_roles_are_refused(client, staff, make_user, role):
    user = staff.get(role) or make_user(role)
    db.session.commit()
    login(client, user)
    assert client.get("/treasury/statements").status_code == 403
    assert client.get("/treasury/reconciliation").status_code == 403
