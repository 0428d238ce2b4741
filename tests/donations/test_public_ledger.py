"""The public ledger of an appeal: its page, "find my gift", and what it never shows; the
appeal page's spending per line."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ngo.campaigns.models import Appeal
from ngo.donations import disbursements, ledger, public_ledger, receipt_codes
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.donations.display_names import DisplayNameError, set_display_name
from ngo.donations.models import Donation
from ngo.extensions import db
from tests import factories
from tests.donations.test_confirmation import lines_of
from tests.helpers import page_text


def pay(appeal, line, actor, amount=10_000, description="Rent for March"):
    return disbursements.record_disbursement(
        appeal,
        NewDisbursement(
            budget_line_id=line.id,
            amount_minor=amount,
            paid_on=date(2026, 3, 2),
            payee_kind="supplier",
            payee_note="Landlord Jan Nowak, ul. Lipowa 5",
            public_description=description,
            proof=Proof(factories.sample_pdf(), "nowak.pdf"),
        ),
        actor=actor,
    )


@pytest.fixture
def moved(appeal, give, staff):
    """An anonymous gift, a named one, a designated one in PLN-free EUR, a refund and a
    payment out."""
    anonymous = give(5_000, fee=30)
    named = factories.DonationFactory(appeal=appeal, amount_minor=7_000, method="card")
    set_display_name(named, "Maria from Gdańsk")
    from ngo.donations.confirmation import confirm_donation, reverse_donation

    confirm_donation(named)
    food = lines_of(appeal)[3]
    designated = give(2_500, line=food)
    unchecked = factories.DonationFactory(appeal=appeal, amount_minor=1_000, method="card")
    unchecked.display_name = "Not checked"
    confirm_donation(unchecked)
    reverse_donation(designated, 1_000, kind="refund")
    pay(appeal, lines_of(appeal)[1], staff["treasurer"])
    db.session.commit()
    return {"anonymous": anonymous, "named": named, "designated": designated}


def test_the_ledger_page_lists_every_movement_with_nothing_personal(client, appeal, moved):
    response = client.get(f"/appeals/{appeal.slug}/ledger")
    assert response.status_code == 200
    text = page_text(response)
    for word in ("Gift", "Refund", "Paid out", "Rent for March", "Anonymous", "Whole appeal"):
        assert word in text, word
    assert "Maria from Gdańsk" in text
    assert "Not checked" not in text  # a name that never passed the check
    assert "Food, household expenses" in text
    assert moved["anonymous"].receipt_code_hash in text
    assert "Proof checked by" in text
    for private in ("Anna Kowalska", "@example.org", "Nowak", "Lipowa", "Kavaliou"):
        assert private not in text, private
    assert moved["anonymous"].receipt_code not in text
    assert "set-cookie" not in {k.lower() for k, _v in response.headers.items()}
    assert response.headers.get("ETag")


def test_the_appeal_page_shows_spending_per_line_and_links_the_ledger(client, appeal, moved):
    text = page_text(client.get(f"/appeals/{appeal.slug}"))
    assert "Rent for March" in text
    assert "proof checked by" in text
    assert f"/appeals/{appeal.slug}/ledger" in text
    assert "Nowak" not in text


def test_a_checkpoint_is_shown_with_how_to_verify(client, appeal, moved):
    checkpoint = ledger.LEDGER_LOG.write_checkpoint()
    db.session.commit()
    text = page_text(client.get(f"/appeals/{appeal.slug}/ledger"))
    assert checkpoint.head_hash in text
    assert checkpoint.as_checkpoint().to_line() in text
    assert "How to check this ledger" in text


def test_the_receipt_hash_can_be_checked_by_the_donor(moved):
    gift = moved["anonymous"]
    assert gift.receipt_code_hash == receipt_codes.public_hash(gift.public_id, gift.receipt_code)
    import hashlib

    code = receipt_codes.normalise(gift.receipt_code)
    assert hashlib.sha256(f"ngo-gift:{gift.public_id}:{code}".encode()).hexdigest() == (
        gift.receipt_code_hash
    )


def test_find_my_gift_marks_the_gift(client, appeal, moved):
    gift = moved["named"]
    assert client.get(f"/appeals/{appeal.slug}/ledger/find").status_code == 200
    response = client.post(
        f"/appeals/{appeal.slug}/ledger/find", data={"code": gift.receipt_code.lower()}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert 'class="highlight"' in html
    assert "Your gift is marked below" in html
    assert gift.receipt_code not in html and gift.receipt_code.lower() not in html
    assert html.count('class="highlight"') == 1


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD", "not a code", "2345"])
def test_an_unknown_code_finds_nothing_and_says_so(client, appeal, moved, code):
    response = client.post(f"/appeals/{appeal.slug}/ledger/find", data={"code": code})
    assert response.status_code == 200
    text = page_text(response)
    assert "No gift with this code" in text
    assert moved["anonymous"].receipt_code_hash not in text


def test_an_empty_code_is_a_form_error(client, appeal, moved):
    response = client.post(f"/appeals/{appeal.slug}/ledger/find", data={"code": ""})
    assert response.status_code == 400
    assert "Type the code printed on your receipt" in page_text(response)


def test_a_code_of_another_appeal_finds_nothing(client, appeal, moved, organisation, staff):
    other = factories.AppealFactory(
        beneficiary=factories.seed_case(organisation, staff["caseworker"], staff["verifier"]),
        actor=staff["caseworker"],
        published_by=staff["admin"],
    )
    from ngo.donations.confirmation import confirm_donation

    gift = factories.DonationFactory(appeal=other)
    confirm_donation(gift)
    db.session.commit()
    response = client.post(f"/appeals/{appeal.slug}/ledger/find", data={"code": gift.receipt_code})
    assert "No gift with this code" in page_text(response)


def test_find_my_gift_is_rate_limited(client, appeal, moved):
    statuses = [
        client.post(f"/appeals/{appeal.slug}/ledger/find", data={"code": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:10]) == {200}


@pytest.mark.fresh_app
@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_find_my_gift_needs_the_form_token(client, appeal, moved):
    response = client.post(
        f"/appeals/{appeal.slug}/ledger/find", data={"code": moved["named"].receipt_code}
    )
    assert response.status_code == 400
    assert 'class="highlight"' not in response.get_data(as_text=True)


def test_an_unknown_or_unlisted_appeal_has_no_ledger(client, appeal, moved):
    assert client.get("/appeals/nosuchappeal/ledger").status_code == 404
    assert client.post("/appeals/nosuchappeal/ledger/find", data={"code": "x"}).status_code == 404
    db.session.get(Appeal, appeal.id).listed = False
    db.session.commit()
    assert client.get(f"/appeals/{appeal.slug}/ledger").status_code == 410


def test_pages_and_bad_page_numbers(client, appeal, moved):
    assert client.get(f"/appeals/{appeal.slug}/ledger?page=0").status_code == 400
    assert client.get(f"/appeals/{appeal.slug}/ledger?page=x").status_code == 400
    assert client.get(f"/appeals/{appeal.slug}/ledger?page=2").status_code == 404
    page = public_ledger.page(db.session.get(Appeal, appeal.id), 1, size=2)
    assert page.has_next and len(page.entries) == 2
    newest_first = [e.occurred_at for e in public_ledger.page(appeal, 1).entries]
    assert newest_first == sorted(newest_first, reverse=True)


def test_find_gift_finds_the_right_page(appeal, moved):
    gift = moved["anonymous"]
    found = public_ledger.find_gift(appeal, gift.receipt_code, size=2)
    assert found is not None
    number, seq = found
    entries = public_ledger.page(appeal, number, size=2).entries
    assert seq in [e.seq for e in entries]


def test_a_display_name_holding_a_private_value_is_refused(appeal, give):
    gift = factories.DonationFactory(appeal=appeal)
    with pytest.raises(DisplayNameError, match="would make private information public"):
        set_display_name(gift, "Friends of the Kavaliou family")
    assert gift.display_name is None
    with pytest.raises(DisplayNameError):
        set_display_name(gift, "x" * 81)
    set_display_name(gift, "  ")
    assert gift.display_name is None and gift.display_name_checked_at is None
    stored = db.session.scalars(select(Donation).where(Donation.id == gift.id)).one()
    assert stored.display_name is None
