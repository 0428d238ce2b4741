"""The admins' funders pages: funders, grants, contacts and subscriptions, with bad input
refused at its field and nothing half-saved; organisation scope and roles."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text

from ngo.accounts import invitations
from ngo.accounts.models import Invitation, Role
from ngo.extensions import db
from ngo.reports.funders.models import (
    Funder,
    FunderContact,
    Grant,
    PortfolioDelivery,
    ReportSubscription,
)
from tests import factories
from tests.conftest import login


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def admin_web(client, staff):
    login(client, staff["admin"])
    return client


def test_an_admin_adds_a_funder_whose_contact_details_are_stored_encrypted(admin_web):
    response = admin_web.post(
        "/admin/funders/new",
        data={
            "name": "  Baltic   Freedom Fund ",
            "contact_person": "Agnieszka Wiśniewska",
            "contact_email": "agnieszka@fund.example",
            "contact_phone": "+48 600 100 200",
        },
    )
    assert response.status_code == 302
    funder = db.session.scalars(select(Funder)).one()
    assert funder.name == "Baltic Freedom Fund"
    assert funder.contact_person == "Agnieszka Wiśniewska"
    raw = db.session.execute(
        text("SELECT contact_person, contact_email, contact_phone FROM funders")
    ).one()
    assert all(b"Agnieszka" not in bytes(v) and b"600" not in bytes(v) for v in raw)
    page = admin_web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Baltic Freedom Fund" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the funder a name."),
        ({"name": "Fund", "contact_email": "not-an-address"}, "Enter a valid e-mail address"),
    ],
)
def test_a_funder_with_bad_input_is_refused_and_not_saved(admin_web, data, message):
    response = admin_web.post("/admin/funders/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Funder) == 0


def test_a_second_funder_of_the_same_name_is_refused(admin_web, funder):
    response = admin_web.post("/admin/funders/new", data={"name": "open society FUND"})
    assert response.status_code == 400
    assert "Another funder already has this name." in response.get_data(as_text=True)
    assert _count(Funder) == 1


def _grant_form(appeal, **changes):
    data = {
        "title": "Winter grant",
        "amount": "2500.50",
        "currency": "EUR",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "appeals": [str(appeal.id)],
    }
    data.update(changes)
    return data


def test_an_admin_adds_a_grant_to_an_appeal_and_a_category(admin_web, funder, appeal):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/grants/new",
        data=_grant_form(appeal, categories=["relocation", "legal"]),
    )
    assert response.status_code == 302
    grant = db.session.scalars(select(Grant)).one()
    assert (grant.amount_minor, grant.currency) == (250_050, "EUR")
    assert [a.id for a in grant.appeals] == [appeal.id]
    assert grant.categories == "legal,relocation"
    assert "Winter grant" in admin_web.get(f"/admin/funders/{funder.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "12,34,5"}, "Type the amount in digits"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "-5"}, "Negative amounts are not accepted."),
        ({"ends_on": "2025-12-31"}, "The grant cannot end before it starts."),
        ({"starts_on": "yesterday"}, "Enter the first day of the grant."),
        ({"appeals": []}, "Link the grant to at least one appeal or one category."),
        ({"appeals": ["999999"]}, "is not a valid choice"),
        ({"title": " "}, "Give the grant a title or reference."),
    ],
)
def test_a_grant_with_bad_input_is_refused_at_its_field_and_not_saved(
    admin_web, funder, appeal, changes, message
):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/grants/new", data=_grant_form(appeal, **changes)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Grant) == 0


def test_an_appeal_of_another_organisation_cannot_be_granted(admin_web, funder, staff):
    other = factories.OrganisationFactory()
    caseworker = factories.UserFactory(role="caseworker", organisation=other)
    verifier = factories.UserFactory(role="verifier", organisation=other)
    person = factories.seed_case(other, caseworker, verifier)
    foreign = factories.AppealFactory(beneficiary=person, actor=caseworker)
    response = admin_web.post(f"/admin/funders/{funder.id}/grants/new", data=_grant_form(foreign))
    assert response.status_code == 400
    assert _count(Grant) == 0


def test_a_failed_edit_of_a_grant_changes_nothing(admin_web, funder, grant, appeal):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/grants/{grant.id}",
        data=_grant_form(appeal, title="Renamed", ends_on="2020-01-01"),
    )
    assert response.status_code == 400
    db.session.expire_all()
    stored = db.session.get(Grant, grant.id)
    assert stored.title == "Relocation grant 2026"
    assert stored.ends_on == date(2027, 12, 31)


def test_inviting_a_contact_gives_the_funder_role_and_links_them_on_acceptance(admin_web, funder):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/contacts/invite",
        data={"invite-email": "officer@fund.example", "invite-locale": "pl"},
    )
    assert response.status_code == 302
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.role == Role.FUNDER.value
    contact = db.session.scalars(select(FunderContact)).one()
    assert (contact.invitation_id, contact.user_id) == (invitation.id, None)

    user = invitations.accept_invitation(
        invitation, display_name="Officer", password="a long enough passphrase 42"
    )
    db.session.flush()
    db.session.refresh(contact)
    assert contact.user_id == user.id
    assert user.memberships[0].role == Role.FUNDER.value


def test_an_invitation_to_a_bad_address_is_refused(admin_web, funder):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/contacts/invite", data={"invite-email": "nobody"}
    )
    assert response.status_code == 400
    assert _count(Invitation) == 0 and _count(FunderContact) == 0


def test_a_member_who_is_not_a_funder_cannot_be_linked(admin_web, funder, staff):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/contacts/link",
        data={"link-user": str(staff["caseworker"].id)},
    )
    assert response.status_code == 400
    assert _count(FunderContact) == 0


def test_a_subscription_needs_a_recipient_who_signs_in(admin_web, funder, contact_user):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/subscriptions/new",
        data={"frequency": "monthly", "language": "en"},
    )
    assert response.status_code == 400
    assert "Choose at least one recipient." in response.get_data(as_text=True)
    assert _count(ReportSubscription) == 0

    response = admin_web.post(
        f"/admin/funders/{funder.id}/subscriptions/new",
        data={"frequency": "weekly", "language": "en", "recipients": [funder.contacts[0].id]},
    )
    assert response.status_code == 400
    assert _count(ReportSubscription) == 0

    response = admin_web.post(
        f"/admin/funders/{funder.id}/subscriptions/new",
        data={
            "frequency": "quarterly",
            "language": "pl",
            "recipients": [str(funder.contacts[0].id)],
        },
    )
    assert response.status_code == 302
    subscription = db.session.scalars(select(ReportSubscription)).one()
    assert subscription.active and subscription.frequency == "quarterly"
    assert subscription.next_period_start.month in (1, 4, 7, 10)
    assert subscription.next_period_start.day == 1
    assert [c.user_id for c in subscription.recipients] == [contact_user.id]


def test_pausing_a_subscription_and_changing_its_frequency(admin_web, funder, subscription):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/subscriptions/{subscription.id}",
        data={
            "frequency": "quarterly",
            "language": "ru",
            "recipients": [str(funder.contacts[0].id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(ReportSubscription, subscription.id)
    assert (stored.frequency, stored.language, stored.active) == ("quarterly", "ru", False)
    assert stored.next_period_start == date(2026, 10, 1)  # the quarter holding 1 November


def test_send_now_makes_a_report_outside_the_schedule(admin_web, funder, subscription):
    response = admin_web.post(
        f"/admin/funders/{funder.id}/subscriptions/{subscription.id}/send-now"
    )
    assert response.status_code == 302
    delivery = db.session.scalars(select(PortfolioDelivery)).one()
    assert delivery.scheduled_start is None
    assert delivery.requested_by_id is not None
    db.session.expire_all()
    assert db.session.get(ReportSubscription, subscription.id).next_period_start == date(
        2026, 11, 1
    )


def test_send_now_is_a_post(admin_web, funder, subscription):
    response = admin_web.get(f"/admin/funders/{funder.id}/subscriptions/{subscription.id}/send-now")
    assert response.status_code == 405


def test_another_organisations_funder_is_not_found(client, funder, grant):
    other = factories.OrganisationFactory()
    login(client, factories.UserFactory(role="admin", organisation=other))
    assert client.get(f"/admin/funders/{funder.id}").status_code == 404
    assert client.get(f"/admin/funders/{funder.id}/grants/{grant.id}").status_code == 404
    assert client.post(f"/admin/funders/{funder.id}", data={"name": "Mine"}).status_code == 404
    assert "Open Society Fund" not in client.get("/admin/funders").get_data(as_text=True)


@pytest.mark.parametrize("role", ["caseworker", "verifier", "treasurer", "funder"])
def test_only_admins_manage_funders(client, staff, funder, make_user, role):
    login(client, make_user(role))
    assert client.get("/admin/funders").status_code == 403
    assert client.get(f"/admin/funders/{funder.id}").status_code == 403
    assert client.post("/admin/funders/new", data={"name": "X"}).status_code == 403
