"""Cash and other gifts a treasurer enters: confirmed up to the threshold, else waiting for a
second person; approval goes through confirm_donation, rejection posts nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.campaigns.models import Appeal
from ngo.donations import ledger
from ngo.donations.display_names import DisplayNameError
from ngo.donations.errors import GiftError
from ngo.donations.manual import (
    GiftEntry,
    approve_manual_gift,
    record_manual_gift,
    reject_manual_gift,
)
from ngo.donations.models import Donation, DonationStatus, Donor, LedgerTransaction
from ngo.donations.models.donors import email_index
from ngo.extensions import db
from ngo.money import Money
from tests.donations.test_confirmation import assert_ledger_agrees


def entry(amount_minor=10_000, currency="EUR", **kwargs):
    kwargs.setdefault("method", "cash")
    kwargs.setdefault("received_on", date.today())
    return GiftEntry(amount=Money(amount_minor, currency), **kwargs)


def transactions():
    return db.session.scalar(select(func.count(LedgerTransaction.id)))


def test_a_small_gift_is_confirmed_as_it_is_recorded(appeal, staff):
    donation = record_manual_gift(appeal, entry(10_000), actor=staff["treasurer"])
    assert donation.status == DonationStatus.CONFIRMED
    assert donation.recorded_by_id == staff["treasurer"].id
    assert donation.received_on == date.today()
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 10_000
    assert transactions() == 1
    assert_ledger_agrees()


def test_a_gift_above_the_threshold_waits_for_a_second_person(app, appeal, staff):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 50_000
    donation = record_manual_gift(appeal, entry(50_001), actor=staff["treasurer"])
    assert donation.status == DonationStatus.AWAITING_APPROVAL
    assert transactions() == 0
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 0

    with pytest.raises(GiftError, match="second person"):
        approve_manual_gift(donation, actor=staff["treasurer"])
    approve_manual_gift(donation, actor=staff["admin"])
    assert donation.status == DonationStatus.CONFIRMED
    assert donation.approved_by_id == staff["admin"].id
    assert donation.confirmed_at.date() == date.today()
    assert transactions() == 1
    assert_ledger_agrees()
    with pytest.raises(GiftError, match="not waiting"):
        approve_manual_gift(donation, actor=staff["admin"])
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "donation")
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == ["donation.recorded", "donation.approved"]


def test_a_gift_exactly_at_the_threshold_needs_nobody_else(app, appeal, staff):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 50_000
    donation = record_manual_gift(appeal, entry(50_000), actor=staff["treasurer"])
    assert donation.status == DonationStatus.CONFIRMED


def test_rejection_leaves_no_ledger_entry(app, appeal, staff):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 0
    donation = record_manual_gift(appeal, entry(700), actor=staff["treasurer"])
    reject_manual_gift(donation, actor=staff["admin"])
    assert donation.status == DonationStatus.REJECTED
    assert transactions() == 0
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 0
    assert_ledger_agrees()
    with pytest.raises(GiftError):
        approve_manual_gift(donation, actor=staff["admin"])


def test_the_recorder_may_withdraw_their_own_entry(app, appeal, staff):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 0
    donation = record_manual_gift(appeal, entry(700), actor=staff["treasurer"])
    reject_manual_gift(donation, actor=staff["treasurer"])
    assert donation.status == DonationStatus.REJECTED


def test_a_designated_gift_funds_its_line(appeal, staff):
    line = appeal.budget_lines[-1]
    record_manual_gift(appeal, entry(3_000, budget_line_id=line.id), actor=staff["treasurer"])
    db.session.expire_all()
    assert db.session.get(type(line), line.id).funded_minor == 3_000


def test_the_donor_is_encrypted_and_found_again_by_e_mail(appeal, staff):
    first = record_manual_gift(
        appeal,
        entry(1_000, donor_name="Maria Nowak", donor_email="Maria@Example.org"),
        actor=staff["treasurer"],
    )
    second = record_manual_gift(
        appeal, entry(2_000, donor_email="maria@example.org "), actor=staff["treasurer"]
    )
    assert first.donor_id == second.donor_id
    donor = db.session.get(Donor, first.donor_id)
    assert donor.name == "Maria Nowak"
    assert donor.email_index == email_index("maria@example.org")
    raw = db.session.execute(
        text("SELECT name, email FROM donors WHERE id = :id"), {"id": donor.id}
    ).one()
    assert all(b"Maria" not in bytes(value) and b"maria" not in bytes(value) for value in raw)


def test_an_anonymous_cash_gift_has_no_donor(appeal, staff):
    donation = record_manual_gift(appeal, entry(1_000), actor=staff["treasurer"])
    assert donation.donor_id is None
    assert db.session.scalar(select(func.count(Donor.id))) == 0


def test_the_same_form_twice_is_one_gift(appeal, staff):
    once = record_manual_gift(
        appeal, entry(1_000, idempotency_key="k" * 20), actor=staff["treasurer"]
    )
    again = record_manual_gift(
        appeal, entry(1_000, idempotency_key="k" * 20), actor=staff["treasurer"]
    )
    assert once.id == again.id
    assert db.session.scalar(select(func.count(Donation.id))) == 1
    assert transactions() == 1


def test_a_display_name_with_the_persons_private_values_is_refused(appeal, staff):
    with pytest.raises(DisplayNameError) as refused:
        record_manual_gift(
            appeal,
            entry(1_000, display_name="For the Kavaliou family"),
            actor=staff["treasurer"],
        )
    # The message names neither the value nor where it came from.
    assert "Kavaliou" not in str(refused.value.message)
    assert db.session.scalar(select(func.count(Donation.id))) == 0


def test_a_display_name_with_the_donors_e_mail_is_refused(appeal, staff):
    with pytest.raises(DisplayNameError):
        record_manual_gift(
            appeal,
            entry(1_000, donor_email="jan@example.org", display_name="jan@example.org"),
            actor=staff["treasurer"],
        )


def test_a_harmless_display_name_is_kept(appeal, staff):
    donation = record_manual_gift(
        appeal, entry(1_000, display_name="  A friend   from Gdańsk "), actor=staff["treasurer"]
    )
    assert donation.display_name == "A friend from Gdańsk"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_minor": 0}, "amount"),
        ({"amount_minor": 10**9}, "amount"),
        ({"method": "card"}, "method"),
        ({"received_on": date.today() + timedelta(days=1)}, "received_on"),
        ({"received_on": date.today() - timedelta(days=800)}, "received_on"),
        ({"budget_line_id": 999_999}, "budget_line"),
        ({"donor_email": "not an address"}, "donor_email"),
        ({"donor_name": "x" * 201}, "donor_name"),
        ({"note": "x" * 2001}, "note"),
        ({"display_name": "x" * 81}, "display_name"),
    ],
)
def test_bad_entries_are_refused_and_record_nothing(appeal, staff, changes, field):
    values = {"amount_minor": 1_000, **changes}
    amount_minor = values.pop("amount_minor")
    with pytest.raises((GiftError, DisplayNameError)) as refused:
        record_manual_gift(appeal, entry(amount_minor, **values), actor=staff["treasurer"])
    assert refused.value.field == field
    assert db.session.scalar(select(func.count(Donation.id))) == 0
    assert transactions() == 0


def test_a_gift_in_another_currency_needs_a_rate(appeal, staff):
    # Without exchange rates (or without one for the day) nothing is recorded.
    with pytest.raises(GiftError) as refused:
        record_manual_gift(appeal, entry(4_000, "PLN"), actor=staff["treasurer"])
    assert refused.value.field == "currency"
    assert db.session.scalar(select(func.count(Donation.id))) == 0


def test_a_draft_appeal_takes_no_gifts(appeal, staff):
    appeal.status = "draft"
    with pytest.raises(GiftError, match="published"):
        record_manual_gift(appeal, entry(1_000), actor=staff["treasurer"])


def test_verify_stays_ok_across_approvals_and_rejections(app, appeal, staff):
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 5_000
    waiting = [
        record_manual_gift(appeal, entry(6_000 + i), actor=staff["treasurer"]) for i in range(3)
    ]
    record_manual_gift(appeal, entry(100), actor=staff["treasurer"])
    approve_manual_gift(waiting[0], actor=staff["admin"])
    reject_manual_gift(waiting[1], actor=staff["admin"])
    report = ledger.verify()
    assert report.ok, report.counter_differences
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == 6_000 + 100


def test_a_gift_in_another_currency_is_measured_in_the_appeals(app, appeal, staff):
    from decimal import Decimal

    from ngo.donations.models import ExchangeRate

    db.session.add(
        ExchangeRate(currency="PLN", rate=Decimal("4.0000"), rate_date=date.today(), source="ecb")
    )
    db.session.flush()
    app.config["MANUAL_GIFT_APPROVAL_MINOR"] = 50_000
    # 2 000.00 PLN is 500.00 EUR: at the threshold, confirmed; 2 000.04 PLN is above it.
    small = record_manual_gift(appeal, entry(200_000, "PLN"), actor=staff["treasurer"])
    assert small.status == DonationStatus.CONFIRMED
    assert (small.appeal_amount_minor, small.rate_source) == (50_000, "ecb")
    large = record_manual_gift(appeal, entry(200_004, "PLN"), actor=staff["treasurer"])
    assert large.status == DonationStatus.AWAITING_APPROVAL
    approve_manual_gift(large, actor=staff["admin"])
    assert large.appeal_amount_minor == 50_001
    assert_ledger_agrees()
