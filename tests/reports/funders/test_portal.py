"""The funder portal's permissions: a funder's contact sees their own funder's grants, the
appeals those grants support (public-side figures only) and the reports sent to their funder;
never another funder's, never another organisation's, never a case or a staff page."""

from __future__ import annotations

from datetime import date

import pytest
from flask import url_for

from ngo.extensions import db
from ngo.money import Money
from ngo.reports.funders import schedule, services
from tests import factories
from tests.conftest import login


@pytest.fixture
def report(subscription, staff):
    delivery = schedule.send_now(subscription, actor=staff["admin"])
    db.session.commit()  # made by the (eager) worker
    db.session.expire_all()
    return delivery


def test_a_contact_sees_their_grants_appeals_and_reports(client, contact_user, report, appeal):
    login(client, contact_user)
    page = client.get("/funder").get_data(as_text=True)
    assert "Open Society Fund" in page
    assert "Relocation grant 2026" in page
    assert appeal.translations[0].title in page
    assert f"/funder/reports/{report.id}.pdf" in page
    # The public side only: the person's legal name, the city and the case are not there.
    for private in ("Кавалёў", "Białystok", "/staff/cases", "Jana Nováková"):
        assert private not in page
    download = client.get(f"/funder/reports/{report.id}.pdf")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert download.headers["X-Content-SHA256"] == report.report.sha256
    assert "no-store" in download.headers["Cache-Control"]


def test_the_dashboard_of_a_funder_leads_to_the_portal(client, contact_user):
    login(client, contact_user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Open Society Fund" in page
    assert 'href="/funder"' in page


def test_another_funders_contact_sees_nothing_of_this_funder(
    client, organisation, make_user, report, staff, appeal
):
    rival = services.create_funder(
        organisation, services.FunderDetails(name="Other Foundation"), actor=staff["admin"]
    )
    services.create_grant(
        rival,
        services.GrantDetails(
            title="Legal aid only",
            amount=Money(100_00, "EUR"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            categories=["legal"],  # the seed appeal is not a legal appeal
        ),
        actor=staff["admin"],
    )
    other_contact = make_user("funder", email="other@foundation.example")
    services.link_member(rival, other_contact.id, actor=staff["admin"])
    login(client, other_contact)
    page = client.get("/funder").get_data(as_text=True)
    assert "Other Foundation" in page and "Legal aid only" in page
    assert "Relocation grant 2026" not in page
    assert appeal.translations[0].title not in page
    assert f"/funder/reports/{report.id}.pdf" not in page
    assert client.get(f"/funder/reports/{report.id}.pdf").status_code == 404


def test_a_funder_of_another_organisation_cannot_download_the_report(client, report):
    other = factories.OrganisationFactory()
    outsider = factories.UserFactory(role="funder", organisation=other)
    admin = factories.UserFactory(role="admin", organisation=other)
    their_funder = services.create_funder(
        other, services.FunderDetails(name="Open Society Fund"), actor=admin
    )
    services.link_member(their_funder, outsider.id, actor=admin)
    login(client, outsider)
    assert client.get(f"/funder/reports/{report.id}.pdf").status_code == 404
    assert "Relocation grant 2026" not in client.get("/funder").get_data(as_text=True)


def test_a_funder_user_not_linked_to_a_funder_sees_an_explanation(client, make_user, report):
    login(client, make_user("funder"))
    page = client.get("/funder")
    assert page.status_code == 200
    assert "not linked to a funder yet" in page.get_data(as_text=True)
    assert client.get(f"/funder/reports/{report.id}.pdf").status_code == 404


@pytest.mark.parametrize(
    "endpoint",
    [
        "cases.case_list",
        "appeals.appeal_list",
        "funders_admin.funder_list",
        "admin.users",
        "donations.donation_list",
        "disbursements.index",
    ],
)
def test_staff_pages_refuse_a_funder(app, client, contact_user, endpoint):
    with app.test_request_context():
        path = url_for(endpoint)
    login(client, contact_user)
    assert client.get(path).status_code == 403


def test_a_case_of_the_funded_appeal_is_refused_to_the_funder(client, contact_user, appeal):
    from ngo.cases.models import Beneficiary

    person = db.session.get(Beneficiary, appeal.beneficiary_id)
    login(client, contact_user)
    response = client.get(f"/cases/{person.reference}")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["admin", "caseworker", "treasurer"])
def test_staff_have_no_funder_portal(client, make_user, role, report):
    login(client, make_user(role))
    assert client.get("/funder").status_code == 403
    assert client.get(f"/funder/reports/{report.id}.pdf").status_code == 403


def test_a_funder_signs_in_with_two_factors(client, contact_user):
    response = client.post(
        "/login", data={"email": contact_user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/login/two-factor")
    assert client.get("/funder").status_code == 302  # not yet signed in


def test_a_funder_without_a_second_factor_must_set_one_up(client, make_user):
    user = make_user("funder", two_factor=False)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"].endswith("/two-factor/setup")
    assert client.get("/funder").headers["Location"].startswith("/login")
