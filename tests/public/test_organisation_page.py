"""Who runs an appeal: the organisation's public page and the "Run by" block of an appeal page.
They show the organisation's own details and its listed appeals, and nothing private: no
beneficiary's data, no staff, no bank account's history, no unlisted appeal."""

from __future__ import annotations

import pytest

from ngo.accounts import organisation_details
from ngo.accounts.organisation_details import OrganisationDetails
from ngo.donations import bank_accounts
from ngo.extensions import db
from tests.campaigns.appeal_fixtures import (
    PRIVATE_VALUES,
    alexander,
    draft_appeal,
    published,
    staff,
)

__all__ = ["alexander", "published", "staff"]  # fixtures used by name


@pytest.fixture
def organisation_with_details(organisation, staff):
    organisation_details.update_organisation_details(
        organisation,
        OrganisationDetails(
            slug="fundacja-test",
            legal_name="Fundacja Test Sp.",
            short_name="FT Fundacja",
            postal_address="ul. Przykładowa 1\n00-001 Warszawa",
            registration_number="KRS 0000123456",
            contact_email="kontakt@fundacja.example",
            website="https://fundacja.example",
            about="We help families rebuild.\n\nSince 2021.",
            how_we_verify="Two people read every document.",
        ),
        actor=staff["admin"],
    )
    db.session.commit()
    return organisation


def test_the_organisation_page_shows_its_public_details_and_listed_appeals(
    client, organisation_with_details, published, staff, alexander
):
    draft = draft_appeal(alexander, staff)
    db.session.commit()
    response = client.get("/organisations/fundacja-test")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for shown in (
        "Fundacja Test Sp.",
        "KRS 0000123456",
        "00-001 Warszawa",
        "kontakt@fundacja.example",
        "https://fundacja.example",
        "We help families rebuild.",
        "Two people read every document.",
        f"/appeals/{published.slug}",
    ):
        assert shown in page, shown
    assert f"/appeals/{draft.slug}" not in page


def test_the_organisation_page_shows_nothing_private(
    client, organisation_with_details, published, staff
):
    bank_accounts.add_bank_account(
        organisation_with_details,
        currency="PLN",
        iban="PL61 1090 1014 0000 0712 1981 2874",
        details=bank_accounts.BankAccountDetails(account_holder="Fundacja", bic="WBKPPLPP"),
        actor=staff["admin"],
    )
    db.session.commit()
    pages = [
        client.get("/organisations/fundacja-test").get_data(as_text=True),
        client.get(f"/appeals/{published.slug}").get_data(as_text=True),
    ]
    for page in pages:
        for value in PRIVATE_VALUES:
            assert value not in page, value
        for person in staff.values():
            assert person.email not in page
            assert person.display_name not in page
        assert "PL61" not in page


def test_the_appeal_page_says_who_runs_it(client, organisation_with_details, published):
    page = client.get(f"/appeals/{published.slug}").get_data(as_text=True)
    assert "Run by " in page
    assert 'href="/organisations/fundacja-test"' in page
    assert "mailto:kontakt@fundacja.example" in page


def test_an_unknown_organisation_is_not_found(client, organisation):
    assert client.get("/organisations/nobody-here").status_code == 404
    assert client.get("/organisations/" + "x" * 100).status_code == 404


def test_a_change_of_the_details_shows_on_the_next_request(
    client, organisation_with_details, published, staff
):
    assert "Since 2021." in client.get("/organisations/fundacja-test").get_data(as_text=True)
    details = organisation_details.details_of(organisation_with_details)
    organisation_details.update_organisation_details(
        organisation_with_details,
        OrganisationDetails(**{**details.__dict__, "about": "Since 2022."}),
        actor=staff["admin"],
    )
    db.session.commit()
    assert "Since 2022." in client.get("/organisations/fundacja-test").get_data(as_text=True)
