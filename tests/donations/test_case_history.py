"""A case's History tab shows the events of its appeals, their gifts, payments out,
receipts and reports next to the case's own (ngo/audit_related.py, each domain's
audit_names), newest first, in the same words as the audit log, never naming a donor;
another organisation's events and another case's never show, and the page reads its events
in two queries however many there are."""

from __future__ import annotations

from datetime import date

import pytest

from ngo import audit
from ngo.accounts.models import Organisation
from ngo.cases.models import Beneficiary
from ngo.donations import disbursements
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.donations.manual import GiftEntry, approve_manual_gift, record_manual_gift
from ngo.donations.models import DisbursementStatus, DonationStatus
from ngo.extensions import db
from ngo.money import Money
from ngo.reports.models import Report, ReportKind
from ngo.reports.receipts.models import Receipt
from tests import factories
from tests.conftest import login
from tests.donations.conftest import SEED_LINES
from tests.donations.test_confirmation import lines_of
from tests.helpers import counted_statements

DONOR_NAME, DONOR_EMAIL = "Marta Nowak", "marta.nowak@example.org"


@pytest.fixture
def app_config():
    return {"DISBURSEMENT_APPROVAL_MINOR": 50_000}


def _history(client, user, case: Beneficiary, page: int = 1) -> str:
    login(client, user)
    response = client.get(f"/cases/{case.reference}/history?page={page}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&amp;", "&")


def _gift(appeal, treasurer, approver, amount_minor: int = 100_000):
    entry = GiftEntry(
        Money(amount_minor, appeal.currency),
        "cash",
        date.today(),
        donor_name=DONOR_NAME,
        donor_email=DONOR_EMAIL,
        note="Given by Marta after the meeting",
    )
    donation = record_manual_gift(appeal, entry, actor=treasurer)
    if donation.status == DonationStatus.AWAITING_APPROVAL:  # above the threshold
        approve_manual_gift(donation, actor=approver)
    return donation


def _payment(appeal, treasurer, approver, amount_minor: int = 60_000):
    new = NewDisbursement(
        budget_line_id=lines_of(appeal)[1].id,
        amount_minor=amount_minor,
        paid_on=date.today(),
        payee_kind="supplier",
        payee_note="Landlord: Jan Kowalski",
        public_description="Rent for March",
        proof=Proof(factories.sample_pdf(), "invoice.pdf"),
    )
    payment = disbursements.record_disbursement(appeal, new, actor=treasurer)
    if payment.status == DisbursementStatus.AWAITING_APPROVAL:  # above the threshold
        disbursements.approve_disbursement(payment, actor=approver)
    return payment


def _receipt(donation) -> Receipt:
    receipt: Receipt = factories.ReceiptFactory(donation=donation, language="en")
    return receipt


def test_the_history_shows_the_appeal_its_gift_and_its_payment_newest_first(
    client, staff, appeal, make_user
):
    second = make_user("treasurer", display_name="Second treasurer")
    treasurer = staff["treasurer"]
    donation = _gift(appeal, treasurer, second)
    _payment(appeal, treasurer, second)
    receipt = _receipt(donation)
    audit.record_change(receipt, staff["admin"], "receipt.downloaded", kind="receipt")
    report = Report(
        organisation_id=appeal.organisation_id,
        kind=ReportKind.APPEAL,
        audience="public",
        appeal_id=appeal.id,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        "report.requested",
        actor_id=staff["caseworker"].id,
        organisation_id=appeal.organisation_id,
        object_type="report",
        object_id=report.id,
    )
    db.session.commit()
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    page = _history(client, staff["admin"], case)
    gift, payment = "a €1,000 gift to Alexander's appeal", "a €600 payment from Alexander's appeal"
    sentences = [
        f"{staff['caseworker'].display_name} asked for the report on Alexander's appeal",
        f"{staff['admin'].display_name} downloaded receipt 2026-0003",
        f"Second treasurer approved {payment}",
        f"{treasurer.display_name} recorded {payment}",
        f"{treasurer.display_name} uploaded a document to Alexander",
        f"Second treasurer approved {gift}",
        f"{treasurer.display_name} recorded {gift}",
        f"{staff['admin'].display_name} published the appeal",
        f"{staff['caseworker'].display_name} created the appeal",
        f"{staff['caseworker'].display_name} registered the case Alexander",
    ]
    places = [page.find(sentence) for sentence in sentences]
    assert -1 not in places, [s for s, p in zip(sentences, places, strict=True) if p == -1]
    assert places == sorted(places)
    assert "Marta" not in page and DONOR_EMAIL not in page and "Kowalski" not in page
    # Viewing it stays a recorded look at the person's data, the newest event on the next view.
    again = _history(client, staff["admin"], case)
    assert again.find("viewed the history of Alexander") < again.find(sentences[0])


def test_another_organisations_events_and_another_cases_never_show(
    client, staff, appeal, make_user
):
    organisation = db.session.get(Organisation, appeal.organisation_id)
    second = make_user("treasurer")
    # Another case of the same organisation, with an appeal and a gift of its own.
    other_case = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
    other_appeal = factories.AppealFactory(
        beneficiary=other_case,
        actor=staff["caseworker"],
        title="Winter coats for a family",
        lines=SEED_LINES,
        published_by=staff["admin"],
    )
    _gift(other_appeal, staff["treasurer"], second, amount_minor=7_700)
    # Another organisation, whose events are filed under the same stored ids as ours.
    elsewhere = factories.OrganisationFactory()
    stranger = factories.UserFactory(role="treasurer", organisation=elsewhere)
    for kind in ("case", "appeal", "donation", "disbursement"):
        audit.record(
            "donation.rejected",
            actor_id=stranger.id,
            organisation_id=elsewhere.id,
            object_type=kind,
            object_id=appeal.id if kind == "appeal" else appeal.beneficiary_id,
        )
    db.session.commit()
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    page = _history(client, staff["admin"], case)
    assert "published the appeal" in page
    assert "€77" not in page and "Winter coats" not in page
    assert stranger.display_name not in page and "rejected" not in page


def test_the_history_reads_its_events_in_two_queries_however_many_there_are(
    client, staff, appeal, make_user
):
    second = make_user("treasurer")
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    reference = case.reference
    login(client, staff["admin"])

    def statements_of_a_view() -> tuple[int, int]:
        db.session.commit()
        with counted_statements() as statements:
            response = client.get(f"/cases/{reference}/history")
        assert response.status_code == 200
        # The page's events and their count; the view's own record (reading the chain's head)
        # and the names (one query per object type) are the other statements.
        reads = [s for s in statements if "WHERE audit_events.organisation_id" in s]
        return len(statements), len(reads)

    _gift(appeal, staff["treasurer"], second, amount_minor=1_000)
    _payment(appeal, staff["treasurer"], second, amount_minor=500)
    few = statements_of_a_view()
    for _ in range(3):
        _gift(appeal, staff["treasurer"], second, amount_minor=1_000)
        _payment(appeal, staff["treasurer"], second, amount_minor=500)
    many = statements_of_a_view()
    assert few == many
    assert few[1] == 2


def test_the_audit_logs_case_filter_shows_the_related_events_as_the_history_does(
    client, staff, appeal, make_user
):
    organisation = db.session.get(Organisation, appeal.organisation_id)
    second = make_user("treasurer", display_name="Second treasurer")
    treasurer = staff["treasurer"]
    _gift(appeal, treasurer, second)
    _payment(appeal, treasurer, second)
    # Another case's appeal and gift, which the filter leaves out.
    other_case = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
    other_appeal = factories.AppealFactory(
        beneficiary=other_case,
        actor=staff["caseworker"],
        title="Winter coats for a family",
        lines=SEED_LINES,
        published_by=staff["admin"],
    )
    _gift(other_appeal, treasurer, second, amount_minor=7_700)
    db.session.commit()
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    history = _history(client, staff["admin"], case)
    response = client.get(f"/admin/audit?case={case.reference}")
    assert response.status_code == 200
    log = response.get_data(as_text=True).replace("&#39;", "'").replace("&amp;", "&")
    gift, payment = "a €1,000 gift to Alexander's appeal", "a €600 payment from Alexander's appeal"
    sentences = [
        f"Second treasurer approved {payment}",
        f"{treasurer.display_name} recorded {payment}",
        f"Second treasurer approved {gift}",
        f"{treasurer.display_name} recorded {gift}",
        f"{staff['admin'].display_name} published the appeal",
        f"{staff['caseworker'].display_name} registered the case Alexander",
    ]
    for page in (history, log):
        places = [page.find(sentence) for sentence in sentences]
        assert -1 not in places, [s for s, p in zip(sentences, places, strict=True) if p == -1]
        assert places == sorted(places)
        assert "€77" not in page and "Winter coats" not in page
        assert "Marta" not in page and DONOR_EMAIL not in page
    # The other filters narrow it as before: the gifts' events only, or one person's.
    gifts_only = client.get(f"/admin/audit?case={case.reference}&action=donation")
    text = gifts_only.get_data(as_text=True).replace("&#39;", "'")
    assert f"Second treasurer approved {gift}" in text
    assert f"approved {payment}" not in text and "published the appeal" not in text
    by_second = client.get(f"/admin/audit?case={case.reference}&person={second.id}")
    text = by_second.get_data(as_text=True).replace("&#39;", "'")
    assert f"Second treasurer approved {payment}" in text
    assert "registered the case" not in text and "€77" not in text
