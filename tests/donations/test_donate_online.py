"""The donate form with Stripe configured: what it offers, what Stripe's Checkout is asked
(through the official library, answered by the local stub), double clicks, and every kind of
bad input refused with a clear message and nothing recorded."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from ngo.campaigns.models import Appeal, BudgetLine, OverfundingPolicy
from ngo.donations.fees import fee_to_cover
from ngo.donations.models import Donation, DonationStatus, Donor, Payment
from ngo.extensions import db
from tests import factories
from tests.donations.stripe_fixtures import stripe_config, stripe_server, stripe_stub

__all__ = ["stripe_server", "stripe_stub"]  # fixtures used by name


@pytest.fixture
def app_config(stripe_server):
    return stripe_config(stripe_server)


def form_key(page: str) -> str:
    match = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert match, "no idempotency key in the form"
    return match.group(1)


def gift(appeal, client, **fields):
    data = {
        "amount": "50",
        "currency": appeal.currency,
        "designation": "",
        "frequency": "one_off",
        "email": "donor@example.org",
        "method": "online",
        "idempotency_key": secrets.token_urlsafe(24),
    }
    data.update(fields)
    return client.post(f"/appeals/{appeal.slug}/donate", data=data)


def donations_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Donation))


def test_the_form_offers_online_payment_monthly_gifts_and_suggested_amounts(client, appeal):
    response = client.get(f"/appeals/{appeal.slug}/donate")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert 'value="online"' in page and 'value="monthly"' in page
    assert 'value="bank_transfer"' in page
    assert "Add the online payment fee" in page
    # From the smallest essential need (food, €700.00): a twentieth, a tenth and a quarter,
    # rounded down to 1-2-5 steps (€35 -> €20, €70 -> €50, €175 -> €100), and all of it.
    for amount in ("20.00", "50.00", "100.00", "700.00"):
        assert f"amount={amount}" in page
    assert "completes “Food, household expenses, school supplies”" in page
    # Every budget line can be chosen, by its label in the reader's language.
    for line in appeal.budget_lines:
        assert f'<option value="{line.id}">' in page
    # Each rendering gets its own key.
    assert form_key(page) != form_key(client.get(f"/appeals/{appeal.slug}/donate").text)


def test_an_online_gift_opens_a_checkout_with_neutral_details_only(client, appeal, stripe_stub):
    key = secrets.token_urlsafe(24)
    response = gift(appeal, client, amount="50.00", cover_fee="y", idempotency_key=key)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    donation = db.session.scalars(select(Donation)).one()
    fee = fee_to_cover(5_000, "EUR")
    assert fee == 102  # (5000 + 25) / (1 - 0.015), rounded up, less the gift
    assert (donation.amount_minor, donation.fee_covered_minor) == (5_000 + fee, fee)
    assert donation.status == DonationStatus.PENDING
    assert donation.display_name is None  # anonymous unless a name is given
    (call,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == key
    assert call.authorization == "Bearer sk_test_stub"
    assert call.get("mode") == "payment"
    assert call.values("payment_method_types") == ["card", "sepa_debit"]
    assert call.get("line_items[0][price_data][unit_amount]") == str(5_000 + fee)
    assert call.get("line_items[0][price_data][currency]") == "eur"
    assert call.get("customer_email") == "donor@example.org"
    # Metadata: the donation's public id, and nothing else.
    metadata = [(k, v) for k, v in call.params if "metadata" in k]
    assert metadata == [
        ("metadata[donation]", donation.public_id),
        ("payment_intent_data[metadata][donation]", donation.public_id),
    ]
    descriptor = call.get("payment_intent_data[statement_descriptor_suffix]")
    assert descriptor == "DONATION"
    everything = " ".join(v for _k, v in call.params).casefold()
    title = appeal.translations[0].title.casefold()
    for word in [*title.split(), appeal.slug.casefold(), "alexander", "kavaliou", "belarus"]:
        if len(word) > 3:
            assert word not in everything, word
    assert db.session.scalars(select(Payment.kind)).all() == ["checkout_session"]


def test_the_descriptor_is_the_organisations_short_name_when_it_has_one(
    client, appeal, stripe_stub, organisation
):
    if not hasattr(organisation, "short_name"):
        pytest.skip("organisations have no short name before the orgmoney branch")
    organisation.short_name = "Open Hands"
    db.session.flush()
    assert gift(appeal, client).status_code == 303
    (call,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert call.get("payment_intent_data[statement_descriptor_suffix]") == "OPEN HANDS"


def test_pln_offers_blik_and_przelewy24_once_and_cards_monthly(client, appeal, stripe_stub):
    assert gift(appeal, client, currency="PLN", amount="200").status_code == 303
    assert (
        gift(appeal, client, currency="PLN", amount="200", frequency="monthly").status_code == 303
    )
    once, monthly = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert once.values("payment_method_types") == ["card", "blik", "p24"]
    # Neither BLIK nor Przelewy24 supports Checkout's subscription mode.
    assert monthly.values("payment_method_types") == ["card"]
    assert monthly.get("mode") == "subscription"
    assert monthly.get("line_items[0][price_data][recurring][interval]") == "month"
    assert monthly.get("subscription_data[metadata][donation]")
    assert monthly.get("payment_intent_data[statement_descriptor_suffix]") is None


def test_a_double_click_is_one_gift_and_one_checkout(client, appeal, stripe_stub):
    key = secrets.token_urlsafe(24)
    first = gift(appeal, client, idempotency_key=key)
    second = gift(appeal, client, idempotency_key=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert donations_count() == 1
    calls = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert {c.idempotency_key for c in calls} == {key}
    assert len(db.session.scalars(select(Payment)).all()) == 1


def test_a_designated_gift_names_its_line(client, appeal, stripe_stub):
    line = appeal.budget_lines[1]
    assert gift(appeal, client, designation=str(line.id)).status_code == 303
    assert db.session.scalars(select(Donation)).one().budget_line_id == line.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "0"}, "Enter an amount above zero."),
        ({"amount": "-5"}, "Enter an amount above zero."),
        ({"amount": "fifty"}, "Type the amount in digits"),
        ({"amount": ""}, "Enter the amount you want to give."),
        ({"amount": "10.0015"}, "EUR has at most 2 decimal places."),
        ({"amount": "10.001"}, "Write the amount without a thousands separator"),
        ({"amount": "10000.01"}, "above the largest gift accepted here"),
        ({"amount": "0.50"}, "below the smallest gift accepted here"),
        ({"currency": "JPY"}, "Choose one of the currencies offered."),
        ({"designation": "999999"}, "Choose one of this appeal&#39;s budget lines."),
        ({"designation": "rent"}, "Choose one of this appeal&#39;s budget lines."),
        ({"email": ""}, "Enter the e-mail address your receipt goes to."),
        ({"email": "not-an-address"}, "Enter a valid e-mail address"),
        ({"idempotency_key": "short"}, "This form has expired."),
        ({"method": "bank_transfer", "frequency": "monthly"}, "Monthly gifts are paid online."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_recorded(
    client, appeal, stripe_stub, fields, message
):
    response = gift(appeal, client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert donations_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Donor)) == 0
    assert stripe_stub.calls("POST", "/v1/checkout/sessions") == []


def test_a_line_of_another_appeal_is_refused(client, appeal, organisation, staff, stripe_stub):
    other = factories.AppealFactory(
        beneficiary=appeal_beneficiary(appeal),
        actor=staff["caseworker"],
        title="Another appeal",
        lines=[("Winter coats", 30_000, True)],
    )
    foreign = db.session.scalars(select(BudgetLine).where(BudgetLine.appeal_id == other.id)).one()
    response = gift(appeal, client, designation=str(foreign.id))
    assert response.status_code == 400
    assert "Choose one of this appeal&#39;s budget lines." in response.text
    assert donations_count() == 0


def appeal_beneficiary(appeal):
    from ngo.cases.models import Beneficiary

    return db.session.get(Beneficiary, appeal.beneficiary_id)


def test_an_appeal_not_accepting_gifts_refuses_them(client, appeal, stripe_stub):
    stored = db.session.get(Appeal, appeal.id)
    stored.overfunding_policy = OverfundingPolicy.STOP.value
    for line in stored.budget_lines:
        line.funded_minor = line.amount_minor
    db.session.flush()
    page = client.get(f"/appeals/{appeal.slug}/donate").text
    assert "not accepting gifts at the moment" in page
    assert 'name="amount"' not in page
    response = gift(appeal, client)
    assert response.status_code == 400
    assert "This appeal is not accepting gifts at the moment" in response.text
    assert donations_count() == 0


def test_a_display_name_or_message_with_private_details_is_refused(client, appeal, stripe_stub):
    response = gift(appeal, client, display_name="A friend of Kavaliou")
    assert response.status_code == 400
    assert "The name shown would make private information public" in response.text
    response = gift(appeal, client, display_name="donor@example.org")
    assert "The name shown would make private information public" in response.text
    response = gift(appeal, client, message="Call him on +48 600 100 200")
    assert response.status_code == 400
    assert "Your message contains private details" in response.text
    assert donations_count() == 0
    assert gift(appeal, client, display_name="Anna from Gdańsk").status_code == 303
    assert db.session.scalars(select(Donation.display_name)).one() == "Anna from Gdańsk"
    assert db.session.scalars(select(Donation.display_name_checked_at)).one() is not None


def test_the_message_is_stored_encrypted(client, appeal, stripe_stub):
    assert gift(appeal, client, message="Good luck with the new flat").status_code == 303
    raw = db.session.execute(db.text("SELECT message FROM donations")).scalar_one()
    assert b"Good luck" not in bytes(raw)
    assert db.session.scalars(select(Donation.message)).one() == "Good luck with the new flat"


def test_stripe_refusing_the_checkout_records_nothing(client, appeal, stripe_stub):
    stripe_stub.failures["/v1/checkout/sessions"] = (
        400,
        {"error": {"type": "invalid_request_error", "message": "No such currency"}},
    )
    response = gift(appeal, client)
    assert response.status_code == 400
    assert "Online payment is not available right now." in response.text
    assert donations_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
