"""The demo organisation's public details and bank accounts, through the real services."""

from __future__ import annotations

from ngo.accounts import organisation_details
from ngo.accounts.models import Organisation, User
from ngo.donations import bank_accounts

# Textbook example IBANs (valid check digits, published by the banks' associations as samples).
DEMO_ACCOUNTS = (
    ("EUR", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX"),
    ("PLN", "PL61 1090 1014 0000 0712 1981 2874", "WBKPPLPP"),
)


def seed_organisation_details(organisation: Organisation, admin: User) -> None:
    """Fill in what is missing; running it twice changes nothing."""
    if organisation.legal_name is None:
        organisation_details.update_organisation_details(
            organisation,
            organisation_details.OrganisationDetails(
                slug=organisation.slug,
                legal_name="Fundacja Most Solidarności (demo)",
                short_name="Most Fundacja",
                postal_address="ul. Przykładowa 1\n00-001 Warszawa\nPoland",
                registration_number="KRS 0000000000 (demo)",
                contact_email="contact@demo.ngo.example",
                website="https://demo.ngo.example",
                about=(
                    "A demo foundation that helps former political prisoners and refugees and "
                    "their families start again: housing, schooling, treatment and legal help."
                ),
                how_we_verify=(
                    "A caseworker collects documents such as court records and medical "
                    "reports. A second member of staff, who did not write the story, checks "
                    "each claim against them before anything is published. The documents are "
                    "never published."
                ),
            ),
            actor=admin,
        )
    for currency, iban, bic in DEMO_ACCOUNTS:
        if bank_accounts.bank_account_for(organisation, currency) is None:
            bank_accounts.add_bank_account(
                organisation,
                currency=currency,
                iban=iban,
                details=bank_accounts.BankAccountDetails(
                    account_holder="Fundacja Most Solidarności", bic=bic
                ),
                actor=admin,
            )
