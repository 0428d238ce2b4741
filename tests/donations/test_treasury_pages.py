"""The treasurer's donation pages over HTTP: recording and approving gifts, the list and its export,
moving money, the dashboard; bad input and other organisations' records."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.campaigns.models import OverfundingPolicy
from ngo.donations.manual import GiftEntry, record_manual_gift
from ngo.donations.models import Donation, DonationStatus, LedgerTransaction
from ngo.extensions import db
from ngo.money import Money
from tests import factories
from tests.conftest import login
from tests.donations.test_confirmation import assert_ledger_agrees, lines_of


def gift_form(**changes):
    form = {
        "amount": "120.50",
        "currency": "EUR",
        "method": "cash",
        "budget_line": "",
        "received_on": date.today().isoformat(),
        "donor_name": "",
        "donor_email": "",
        "display_name": "",
        "note": "Handed over after the meeting in Warsaw",
        "token": "t" * 24,
    }
    form.update(changes)
    return form


def count(model):
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def treasurer_client(client, staff):
    login(client, staff["treasurer"])
    return client


def test_a_treasurer_records_a_small_gift(treasurer_client, appeal):
    page = treasurer_client.get(f"/treasury/donations/appeals/{appeal.slug}/gifts/new")
    assert page.status_code == 200
    assert 'name="token"' in page.get_data(as_text=True)
    response = treasurer_client.post(
        f"/treasury/donations/appeals/{appeal.slug}/gifts", data=gift_form()
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.amount_minor, donation.status) == (12_050, DonationStatus.CONFIRMED)
    assert response.headers["Location"].endswith(f"/treasury/donations/gifts/{donation.public_id}")
    # The gift's page shows the note, and that look is recorded.
    shown = treasurer_client.get(f"/treasury/donations/gifts/{donation.public_id}")
    assert shown.status_code == 200
    assert "meeting in Warsaw" in shown.get_data(as_text=True)
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "donation.note_viewed")
    )
    assert_ledger_agrees()


def test_the_same_form_sent_twice_is_one_gift(treasurer_client, appeal):
    for _ in range(2):
        response = treasurer_client.post(
            f"/treasury/donations/appeals/{appeal.slug}/gifts", data=gift_form()
        )
        assert response.status_code == 302
    assert count(Donation) == 1
    assert count(LedgerTransaction) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "abc"}, "Type the amount in digits"),
        ({"amount": ""}, "Enter an amount."),
        ({"amount": "0"}, "above zero"),
        ({"amount": "-5"}, "Negative amounts"),
        ({"amount": "12.5055"}, "decimal places"),
        ({"amount": "1.234"}, "read two ways"),
        ({"amount": "99999999999999"}, "larger than any"),
        ({"amount": "2000000"}, "larger than any accepted"),
        ({"currency": "XYZ"}, "Not a valid choice"),
        ({"method": "card"}, "Not a valid choice"),
        ({"budget_line": "999999"}, "Not a valid choice"),
        ({"received_on": "yesterday"}, "Not a valid date"),
        ({"received_on": "2999-01-01"}, "future"),
        ({"donor_email": "nobody"}, "e-mail address such as"),
        ({"token": ""}, "This field is required"),
    ],
)
def test_bad_gift_input_is_refused_with_a_message(treasurer_client, appeal, changes, message):
    response = treasurer_client.post(
        f"/treasury/donations/appeals/{appeal.slug}/gifts", data=gift_form(**changes)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(Donation) == 0
    assert count(LedgerTransaction) == 0


def test_a_large_gift_waits_and_a_second_treasurer_approves_it(
    app, client, browser, appeal, staff, make_user
):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 10_000
    login(client, staff["treasurer"])
    client.post(f"/treasury/donations/appeals/{appeal.slug}/gifts", data=gift_form(amount="500"))
    donation = db.session.scalars(select(Donation)).one()
    assert donation.status == DonationStatus.AWAITING_APPROVAL
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f"/treasury/donations/gifts/{donation.public_id}" in dashboard
    assert "recorded by you" in dashboard

    refused = client.post(f"/treasury/donations/gifts/{donation.public_id}/approve")
    assert refused.status_code == 400
    assert "second person" in refused.get_data(as_text=True)
    assert count(LedgerTransaction) == 0

    other = browser()
    login(other, make_user("treasurer"))
    approved = other.post(f"/treasury/donations/gifts/{donation.public_id}/approve")
    assert approved.status_code == 302
    db.session.refresh(donation)
    assert donation.status == DonationStatus.CONFIRMED
    assert count(LedgerTransaction) == 1
    again = other.post(f"/treasury/donations/gifts/{donation.public_id}/reject")
    assert again.status_code == 400
    assert "not waiting" in again.get_data(as_text=True)
    assert_ledger_agrees()


def _donation_of_another_organisation(staff):
    org = factories.OrganisationFactory()
    caseworker = factories.UserFactory(role="caseworker", organisation=org)
    verifier = factories.UserFactory(role="verifier", organisation=org)
    admin = factories.UserFactory(role="admin", organisation=org)
    treasurer = factories.UserFactory(role="treasurer", organisation=org)
    person = factories.seed_case(org, caseworker, verifier)
    appeal = factories.AppealFactory(
        beneficiary=person,
        actor=caseworker,
        title="Elsewhere",
        lines=[("Rent", 10_000, True)],
        published_by=admin,
    )
    donation = record_manual_gift(
        appeal,
        GiftEntry(Money(100, "EUR"), "cash", date.today(), donor_email="x@example.org"),
        actor=treasurer,
    )
    db.session.flush()
    return appeal, donation


def test_another_organisations_records_are_not_found(client, staff, admin):
    appeal, donation = _donation_of_another_organisation(staff)
    donation.status = DonationStatus.AWAITING_APPROVAL.value
    db.session.commit()
    login(client, admin)
    for method, path in [
        ("GET", f"/treasury/donations/appeals/{appeal.slug}/gifts/new"),
        ("POST", f"/treasury/donations/appeals/{appeal.slug}/gifts"),
        ("GET", f"/treasury/donations/appeals/{appeal.slug}/funds"),
        ("POST", f"/treasury/donations/appeals/{appeal.slug}/funds"),
        ("GET", f"/treasury/donations/gifts/{donation.public_id}"),
        ("POST", f"/treasury/donations/gifts/{donation.public_id}/approve"),
        ("POST", f"/treasury/donations/gifts/{donation.public_id}/reject"),
        ("GET", f"/treasury/donations/?appeal={appeal.slug}"),
        ("POST", f"/admin/donors/{donation.donor_id}/export"),
        ("POST", f"/admin/donors/{donation.donor_id}/erase"),
    ]:
        response = client.open(path, method=method, data=gift_form())
        assert response.status_code == 404, (method, path, response.status_code)
    db.session.refresh(donation)
    assert donation.status == DonationStatus.AWAITING_APPROVAL
    # Found by e-mail only in its own organisation.
    found = client.post("/admin/donors/", data={"email": "x@example.org"})
    assert "No donor of this organisation" in found.get_data(as_text=True)


@pytest.mark.parametrize("role", ["caseworker", "verifier", "funder"])
def test_other_roles_may_not_see_money(client, make_user, appeal, role):
    login(client, make_user(role))
    for path in [
        "/treasury/donations/",
        "/treasury/donations/appeals",
        f"/treasury/donations/appeals/{appeal.slug}/funds",
        "/admin/donors/",
    ]:
        assert client.get(path).status_code == 403, path


def test_a_treasurer_may_not_use_donors_rights(treasurer_client):
    assert treasurer_client.get("/admin/donors/").status_code == 403
    assert treasurer_client.post("/admin/donors/", data={"email": "a@b.org"}).status_code == 403


# The list and its export ------------------------------------------------------------------


@pytest.fixture
def some_gifts(appeal, give, staff):
    donor = factories.DonorFactory(
        organisation_id=appeal.organisation_id, name="=HYPERLINK(1)", email="ann@example.org"
    )
    give(5_000, donor=donor, message="private words", display_name="Ann")
    give(2_000, method="card", line=lines_of(appeal)[2])
    record_manual_gift(
        appeal, GiftEntry(Money(700, "EUR"), "cash", date.today()), actor=staff["treasurer"]
    )
    db.session.commit()


def test_the_list_filters_by_method_and_status(treasurer_client, some_gifts, appeal):
    page = treasurer_client.get("/treasury/donations/")
    assert page.status_code == 200
    assert "3 gifts" in page.get_data(as_text=True)
    cash = treasurer_client.get("/treasury/donations/?method=cash").get_data(as_text=True)
    assert "1 gift" in cash
    today = date.today().isoformat()
    ranged = treasurer_client.get(
        f"/treasury/donations/?appeal={appeal.slug}&status=confirmed&currency=eur"
        f"&date_from={today}&date_to={today}"
    )
    assert "3 gifts" in ranged.get_data(as_text=True)
    assert "0 gifts" in treasurer_client.get("/treasury/donations/?currency=PLN").get_data(
        as_text=True
    )
    # No donor's name, e-mail or message on the list.
    text = page.get_data(as_text=True)
    assert "ann@example.org" not in text and "private words" not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "Choose a status"),
        ("method=cheque", "Choose a way of giving"),
        ("currency=EURO", "currency code"),
        ("date_from=yesterday", "YYYY-MM-DD"),
        ("date_from=2026-05-02&date_to=2026-05-01", "ends before it starts"),
    ],
)
def test_bad_filters_are_refused_with_a_message(treasurer_client, query, message):
    response = treasurer_client.get(f"/treasury/donations/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_unknown_appeal_filter_is_not_found(treasurer_client):
    assert treasurer_client.get("/treasury/donations/?appeal=nosuchappeal").status_code == 404


def test_the_list_is_paged(treasurer_client, appeal, staff, monkeypatch):
    from ngo.donations import listing

    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    for _ in range(5):
        record_manual_gift(
            appeal, GiftEntry(Money(100, "EUR"), "cash", date.today()), actor=staff["treasurer"]
        )
    db.session.commit()
    last = treasurer_client.get("/treasury/donations/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last
    assert "Page 3 of 3" in treasurer_client.get("/treasury/donations/?page=99").get_data(
        as_text=True
    )


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_accountants_export_has_amounts_and_no_donor_data(treasurer_client, some_gifts):
    response = treasurer_client.post("/treasury/donations/export", data={"method": ""})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _rows(response)
    assert [r["amount"] for r in rows] == ["50.00", "20.00", "7.00"]
    assert {"fee", "rate", "status", "budget_line_label", "received_on"} <= set(rows[0])
    text = response.get_data(as_text=True)
    for private in ("ann@example.org", "private words", "HYPERLINK", "donor_name"):
        assert private not in text
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "donations.exported")
    ).one()
    assert event.details["with_donor_names"] is False and event.details["rows"] == 3


def test_the_export_with_donor_names_is_audited_and_safe_for_spreadsheets(
    treasurer_client, some_gifts
):
    response = treasurer_client.post(
        "/treasury/donations/export", data={"with_donor_names": "y", "method": "card"}
    )
    rows = _rows(response)
    assert [r["donor_name"] for r in rows] == ["'=HYPERLINK(1)", "Anna Kowalska"]
    assert "ann@example.org" not in response.get_data(as_text=True)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "donations.exported")
    ).one()
    assert event.details["with_donor_names"] is True
    assert event.details["filters"] == {"method": "card"}


def test_an_export_with_bad_filters_is_refused(treasurer_client):
    response = treasurer_client.post("/treasury/donations/export", data={"date_from": "soon"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
    assert not db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "donations.exported")
    )


# Moving money ---------------------------------------------------------------------------


def test_a_treasurer_moves_the_reserve_to_a_stretch_line(treasurer_client, appeal, give):
    appeal.overfunding_policy = OverfundingPolicy.STOP.value
    give(380_000 + 9_000)
    db.session.commit()
    stretch = lines_of(appeal)[4]
    page = treasurer_client.get(f"/treasury/donations/appeals/{appeal.slug}/funds")
    assert page.status_code == 200
    too_much = treasurer_client.post(
        f"/treasury/donations/appeals/{appeal.slug}/funds",
        data={"source": "reserve", "target": str(stretch.id), "amount": "90.01"},
    )
    assert too_much.status_code == 400
    assert "more than the source holds" in too_much.get_data(as_text=True)
    for amount, message in [("x", "digits"), ("", "Enter an amount"), ("0,001", "decimal")]:
        bad = treasurer_client.post(
            f"/treasury/donations/appeals/{appeal.slug}/funds",
            data={"source": "reserve", "target": str(stretch.id), "amount": amount},
        )
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)
    moved = treasurer_client.post(
        f"/treasury/donations/appeals/{appeal.slug}/funds",
        data={"source": "reserve", "target": str(stretch.id), "amount": "90"},
    )
    assert moved.status_code == 302
    assert lines_of(appeal)[4].funded_minor == 9_000
    assert_ledger_agrees()


def test_the_dashboard_counts_unmatched_statement_lines(treasurer_client, monkeypatch):
    from ngo.donations import reconciliation

    monkeypatch.setattr(reconciliation, "queued_count", lambda organisation_id: 3)
    page = treasurer_client.get("/dashboard").get_data(as_text=True)
    assert "3 unmatched lines" in page
    assert "/treasury/reconciliation" in page


def test_the_dashboard_counts_payments_out_waiting_for_a_second_person(
    treasurer_client, appeal, give, staff
):
    from ngo.donations import disbursements
    from tests.donations.test_disbursements import new

    give(100_000)
    rent = lines_of(appeal)[1]
    disbursements.record_disbursement(appeal, new(rent, 60_000), actor=staff["treasurer"])
    db.session.commit()
    page = treasurer_client.get("/dashboard").get_data(as_text=True)
    assert "1 payment waiting" in page
    assert "/staff/disbursements" in page
