"""The organisation's public details on its settings page: the neutral short name, the slug,
the contact, the public texts (through the publication safety check), and an audit event that
names the fields changed and never their values."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ngo.accounts import organisation_details
from ngo.accounts.models import Organisation
from ngo.accounts.services import AccountError
from ngo.accounts.slugs import slugify
from ngo.audit import AuditEvent
from ngo.extensions import db
from tests import factories
from tests.conftest import login

GOOD = {
    "name": "Fundacja Wolność",
    "legal_name": "Fundacja Wolność i Solidarność",
    "short_name": "FW Fundacja",
    "slug": "fundacja-wolnosc",
    "registration_number": "KRS 0000123456",
    "postal_address": "ul. Przykładowa 1\n00-001 Warszawa",
    "contact_email": "Kontakt@Fundacja.example",
    "website": "https://fundacja.example",
    "about": "We help people who had to leave.\n\nSince 2021.",
    "how_we_verify": "Two people read every document.",
}


def test_a_new_organisation_gets_a_readable_unique_slug(app):
    first = factories.OrganisationFactory(name="Fundacja Wolność")
    second = factories.OrganisationFactory(name="Fundacja  wolnosc")
    cyrillic = factories.OrganisationFactory(name="Фонд Салідарнасці")
    assert first.slug == "fundacja-wolnosc"
    assert second.slug == "fundacja-wolnosc-2"
    assert cyrillic.slug == "fond-salidarnastsi"
    assert slugify("!!!") == "organisation"


def test_the_settings_page_saves_the_details(app, client, admin):
    login(client, admin)
    assert client.get("/admin/organisation").status_code == 200
    response = client.post("/admin/organisation", data=GOOD)
    assert response.status_code == 302, response.get_data(as_text=True)
    organisation = db.session.get(Organisation, admin.memberships[0].organisation_id)
    assert organisation.name == "Fundacja Wolność"
    assert organisation.short_name == "FW Fundacja"
    assert organisation.contact_email == "kontakt@fundacja.example"
    assert organisation.postal_address == "ul. Przykładowa 1\n00-001 Warszawa"
    assert organisation.slug == "fundacja-wolnosc"
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.details_changed")
    ).all()
    assert set(event.details["fields"]) >= {"legal_name", "short_name", "contact_email"}
    for value in GOOD.values():
        assert value not in repr(event.details)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("short_name", "Fundacja Wolność", "only letters A to Z"),
        ("short_name", "FW-Fundacja", "only letters A to Z"),
        ("short_name", "A very long short name indeed", "between 5 and 22"),
        ("short_name", "FW", "between 5 and 22"),
        ("short_name", "12345", "at least one letter"),
        ("short_name", "", "short name"),
        ("legal_name", "", "legal name"),
        ("contact_email", "not-an-address", "valid e-mail"),
        ("website", "fundacja.example", "full address"),
        ("website", "javascript:alert(1)", "full address"),
        ("slug", "Fundacja Wolność", "lower-case letters"),
        ("about", "x" * 2001, "2000"),
    ],
)
def test_bad_details_are_refused_at_their_field(app, client, admin, field, value, message):
    login(client, admin)
    response = client.post("/admin/organisation", data={**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    organisation = db.session.get(Organisation, admin.memberships[0].organisation_id)
    assert organisation.short_name is None and organisation.legal_name is None


def test_the_slug_of_another_organisation_is_refused(app, client, admin):
    factories.OrganisationFactory(name="Taken")
    login(client, admin)
    response = client.post("/admin/organisation", data={**GOOD, "slug": "taken"})
    assert response.status_code == 400
    assert "already has this address" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["caseworker", "verifier", "treasurer", "funder"])
def test_only_admins_edit_the_details(app, client, make_user, role):
    login(client, make_user(role))
    assert client.post("/admin/organisation", data=GOOD).status_code == 403


def test_the_short_name_rule_is_one_function():
    assert organisation_details.check_short_name("  FW   Fundacja ") == "FW Fundacja"
    with pytest.raises(AccountError):
        organisation_details.check_short_name("Pomoc <b>")


def test_a_public_text_naming_a_person_helped_is_refused(app, client, admin):
    organisation = admin.memberships[0].organisation
    factories.BeneficiaryFactory(organisation=organisation, legal_name="Aliaksandr Kavaliou")
    login(client, admin)
    response = client.post(
        "/admin/organisation",
        data={**GOOD, "how_we_verify": "We met Mr Kavaliou and checked his papers."},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Private information about a person you help" in page
    assert "how we verify" in page
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).how_we_verify is None
