"""The donate form without Stripe keys: only bank transfer is offered, and a transfer gift shows
the organisation's account for its currency and a neutral reference code; the webhook is not
there to be called. The old placeholder page is gone: the appeal links to this form."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from ngo.donations import references
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.models import Donation, DonationStatus
from ngo.extensions import db

PL_IBAN = "PL61 1090 1014 0000 0712 1981 2874"
EUR_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def accounts(organisation, staff):
    for currency, iban, bic in (("PLN", PL_IBAN, "WBKPPLPP"), ("EUR", EUR_IBAN, "COBADEFFXXX")):
        add_bank_account(
            organisation,
            currency=currency,
            iban=iban,
            details=BankAccountDetails(
                account_holder="Fundacja Otwarte Dłonie", bic=bic, bank_name="Test Bank"
            ),
            actor=staff["admin"],
        )
    db.session.flush()


def post(appeal, client, **fields):
    data = {
        "amount": "50",
        "currency": "EUR",
        "email": "donor@example.org",
        "method": "bank_transfer",
        "frequency": "one_off",
        "idempotency_key": secrets.token_urlsafe(24),
    }
    data.update(fields)
    return client.post(f"/appeals/{appeal.slug}/donate", data=data)


def test_without_stripe_keys_only_bank_transfer_is_offered(client, appeal):
    page = client.get(f"/appeals/{appeal.slug}/donate").text
    assert 'value="bank_transfer"' in page
    assert 'value="online"' not in page
    assert 'value="monthly"' not in page
    assert "Add the online payment fee" not in page
    response = post(appeal, client, method="online")
    assert response.status_code == 400
    assert "Online payment is not available" in response.text
    webhook = client.post("/webhooks/stripe", data="{}")
    assert webhook.status_code == 404
    assert webhook.get_json() == {"error": "online giving is not configured"}


def test_the_appeal_page_links_to_the_donate_form(client, appeal):
    page = client.get(f"/appeals/{appeal.slug}").text
    assert f'href="/appeals/{appeal.slug}/donate"' in page
    assert "Online giving opens soon" not in client.get(f"/appeals/{appeal.slug}/donate").text


def test_a_bank_transfer_shows_the_account_and_a_neutral_reference(client, appeal, accounts):
    key = secrets.token_urlsafe(24)
    response = post(appeal, client, currency="PLN", amount="200,50", idempotency_key=key)
    assert response.status_code == 303
    again = post(appeal, client, currency="PLN", amount="200,50", idempotency_key=key)
    assert again.headers["Location"] == response.headers["Location"]
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.status, donation.method) == (DonationStatus.PENDING, "bank_transfer")
    assert (donation.amount_minor, donation.currency) == (20_050, "PLN")
    assert references.is_valid_reference(donation.reference_code)
    page = client.get(response.headers["Location"]).text
    assert "PL61 1090 1014 0000 0712 1981 2874" in page
    assert "WBKPPLPP" in page and "Fundacja Otwarte Dłonie" in page and "Test Bank" in page
    assert donation.reference_code in page
    assert re.search(r"200[,.]50", page)
    # The reference names nothing: no word of the appeal's title, no slug.
    assert donation.reference_code.replace("-", "").isalnum()
    assert appeal.slug not in donation.reference_code


def test_a_currency_without_an_account_is_refused(client, appeal, accounts):
    response = post(appeal, client, currency="USD")
    assert response.status_code == 400
    assert "Bank transfers in USD are not possible" in response.text
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_a_gift_page_needs_its_signed_link(client, appeal, accounts):
    response = post(appeal, client)
    donation = db.session.scalars(select(Donation)).one()
    assert client.get(f"/giving/{donation.public_id}").status_code == 404
    assert client.get(response.headers["Location"] + "x").status_code == 404
