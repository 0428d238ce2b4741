"""Receipts of gifts: issued once by the worker (eager here) with a gapless number, the PDF
saying what was given in the donor's language and nothing private, a cancellation note for a
refund, and numbers on the treasurer's pages."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select, text

from ngo import deferred_writes
from ngo.donations.confirmation import reverse_donation
from ngo.donations.models import Donation
from ngo.extensions import db
from ngo.reports.receipts import delivery, document, issuing
from ngo.reports.receipts.models import Receipt, ReceiptCounter, ReceiptTaxNote
from ngo.reports.receipts.numbering import take_number
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login, mail_text, sent_mail
from tests.reports.receipt_helpers import attached_pdf, pdf_text, receipts

POLISH_DONOR = "Zażółć Gęślą-Jaźń"
CYRILLIC_DONOR = "Наталля Ярошка"


def _donor(organisation, name, locale="en", email="giver@example.org"):
    return factories.DonorFactory(
        organisation_id=organisation.id, name=name, email=email, locale=locale
    )


def test_a_confirmed_gift_gets_one_numbered_receipt_by_mail(app, organisation, give):
    donor = _donor(organisation, POLISH_DONOR, locale="pl")
    db.session.add(
        ReceiptTaxNote(organisation_id=organisation.id, language="pl", text="Ulga podatkowa: tak.")
    )
    donation = give(5_000, fee=100, donor=donor, method="card")
    db.session.commit()  # the outbox hands the receipt to the (eager) worker

    (receipt,) = receipts(donation_id=donation.id)
    year = utcnow().year
    assert receipt.number == f"{year}-000001" and receipt.kind == "receipt"
    (message,) = sent_mail(app)
    assert message["To"] == "giver@example.org"
    assert message["Subject"] == "Dziękujemy: Twoja darowizna została potwierdzona"
    filename, pdf = attached_pdf(message)
    assert filename == f"receipt-{year}-000001.pdf"
    assert receipt.pdf == pdf and receipt.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert receipt.number in mail_text(message)
    content = pdf_text(pdf)
    assert POLISH_DONOR in content
    assert receipt.number in content
    assert "50,00\xa0€" in content  # Polish formatting, the donor's language
    assert donation.receipt_code in content
    assert "Ulga podatkowa: tak." in content
    assert "Cała zbiórka" in content  # the whole appeal, in Polish
    assert "giver@example.org" not in content
    assert "Кавалёў" not in content  # the person the appeal is for
    # Stored encrypted: it names the donor.
    raw = db.session.execute(text("SELECT pdf FROM receipts")).scalar_one()
    assert b"%PDF" not in bytes(raw)


def test_the_receipt_names_a_cyrillic_donor_the_line_and_the_conversion(
    app, organisation, give, appeal
):
    from datetime import date
    from decimal import Decimal

    from ngo.donations.models import ExchangeRate

    db.session.add(
        ExchangeRate(currency="PLN", rate=Decimal("4.25"), rate_date=date.today(), source="ecb")
    )
    donor = _donor(organisation, CYRILLIC_DONOR, locale="be")
    line = appeal.budget_lines[0]
    donation = give(21_250, currency="PLN", line=line, donor=donor, method="blik")
    db.session.commit()

    (receipt,) = receipts(donation_id=donation.id)
    content = pdf_text(receipt.pdf)
    assert CYRILLIC_DONOR in content
    assert "1 EUR = 4.2500 PLN" in content and "50,00\xa0€" in content
    assert "Rent for three months and deposit" in content  # the line (no Belarusian label)
    assert "BLIK" in content


def test_an_anonymous_gift_says_so_and_is_numbered_without_mail(app, give):
    donation = give(2_000, donor=None)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    assert "Anonymous donor" in pdf_text(receipt.pdf)
    assert receipt.emailed_at is None and sent_mail(app) == []


def test_running_the_handler_again_sends_nothing_more_and_keeps_the_number(app, give):
    donation = give(5_000)
    db.session.commit()
    first = receipts(donation_id=donation.id)[0].number
    for _ in range(2):
        delivery.send_receipt({"donation_id": donation.id})
    assert len(sent_mail(app)) == 1
    assert [r.number for r in receipts(donation_id=donation.id)] == [first]


def test_numbers_follow_each_other_and_a_failure_leaves_no_gap(app, organisation, give):
    year = utcnow().year
    for _ in range(2):
        give(1_000)
    db.session.commit()
    # A transaction that took a number and then failed gives it back.
    savepoint = db.session.begin_nested()
    assert take_number(db.session(), organisation.id, year)[1] == f"{year}-000003"
    savepoint.rollback()
    give(1_000)
    db.session.commit()
    assert [r.number for r in receipts()] == [f"{year}-00000{n}" for n in (1, 2, 3)]
    counter = db.session.get(ReceiptCounter, (organisation.id, year))
    assert counter.last_sequence == 3


def test_each_organisation_counts_its_own(app, give, staff):
    give(1_000)
    other = factories.OrganisationFactory()
    year = utcnow().year
    assert take_number(db.session(), other.id, year) == (1, f"{year}-000001")


def test_a_gift_never_confirmed_has_no_receipt(app, appeal):
    pending = factories.DonationFactory(appeal=appeal)
    assert issuing.issue_receipt(pending) is None
    delivery.send_receipt({"donation_id": pending.id})
    delivery.send_receipt({"donation_id": 10**9})  # gone: nothing to do, no error
    assert receipts() == []


def test_a_refund_brings_a_cancellation_note_naming_the_receipt(app, organisation, give):
    donor = _donor(organisation, POLISH_DONOR)
    donation = give(5_000, donor=donor)
    db.session.commit()
    assert reverse_donation(donation, 2_000, kind="refund")
    db.session.commit()

    original, note = receipts(donation_id=donation.id)
    assert note.kind == "cancellation" and note.cancels_id == original.id
    assert note.amount_minor == 2_000 and note.sequence == original.sequence + 1
    _receipt_mail, note_mail = sent_mail(app)
    assert original.number in note_mail["Subject"]
    filename, pdf = attached_pdf(note_mail)
    assert filename == f"cancellation-{note.number}.pdf"
    content = pdf_text(pdf)
    assert note.number in content and original.number in content
    assert "€20.00" in content and POLISH_DONOR in content
    # The rest, refunded later, is a second note.
    assert reverse_donation(donation, 3_000, kind="refund")
    db.session.commit()
    assert [r.kind for r in receipts(donation_id=donation.id)] == [
        "receipt",
        "cancellation",
        "cancellation",
    ]
    assert len(sent_mail(app)) == 3


def test_a_refund_before_the_worker_came_issues_the_receipt_first(app, give):
    donation = give(5_000)
    # As if the receipt's outbox message had not run yet: drop its dispatch. (On PostgreSQL
    # its row is a deferred write: its id is noted once the queue is sent.)
    deferred_writes.send_queued(db.session.connection())
    db.session.info.pop("outbox_committed")
    reverse_donation(donation, 5_000, kind="refund")
    db.session.info["outbox_committed"] = db.session.info["outbox_committed"][-1:]
    db.session.commit()
    original, note = receipts(donation_id=donation.id)
    assert (original.sequence, note.sequence) == (1, 2)
    assert original.pdf is not None
    assert "Cancellation" in sent_mail(app)[0]["Subject"]


def test_the_treasurer_sees_and_downloads_the_number(app, client, staff, give):
    donation = give(5_000)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    login(client, staff["treasurer"])

    listing = client.get("/treasury/donations/")
    assert receipt.number in listing.text
    page = client.get(f"/treasury/donations/gifts/{donation.public_id}")
    assert receipt.number in page.text
    download = client.get(f"/staff/receipts/{receipt.public_id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert receipt.number in pdf_text(download.data)
    csv_text = client.post("/treasury/donations/export", data={}).text
    header, row = csv_text.splitlines()[:2]
    assert header.endswith(",receipt_number") and row.endswith(f",{receipt.number}")
    from ngo.audit import AuditEvent

    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "receipt.downloaded" in actions


@pytest.mark.parametrize("role", ["caseworker", "verifier"])
def test_other_roles_cannot_download_a_receipt(app, client, staff, give, role):
    donation = give(5_000)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    login(client, staff[role])
    assert client.get(f"/staff/receipts/{receipt.public_id}.pdf").status_code == 403


def test_another_organisations_receipt_is_not_found(app, client, make_user, give):
    donation = give(5_000)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    other = factories.OrganisationFactory()
    outsider = factories.UserFactory(organisation=other, role="treasurer")
    login(client, outsider)
    assert client.get(f"/staff/receipts/{receipt.public_id}.pdf").status_code == 404


def test_the_html_of_every_kind_renders(app, give):
    donation = give(5_000)
    db.session.commit()
    (receipt,) = db.session.scalars(select(Receipt)).all()
    assert receipt.number in document.receipt_html(receipt)
    assert db.session.get(Donation, donation.id).status == "confirmed"


def test_erasing_the_donor_drops_the_pdfs_that_name_them(app, client, organisation, give, staff):
    from ngo.donations import rights

    donor = _donor(organisation, POLISH_DONOR)
    donation = give(5_000, donor=donor)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    link = re.search(r"http://ngo\.test(/giving/receipts/\S+)", mail_text(sent_mail(app)[0]))[1]
    assert client.get(link).status_code == 200
    rights.erase_donor(donor, actor=staff["admin"])
    db.session.commit()
    raw = db.session.execute(text("SELECT pdf, pdf_sha256 FROM receipts")).one()
    assert raw.pdf is None and raw.pdf_sha256 == receipt.pdf_sha256
    login(client, staff["treasurer"])
    again = client.get(f"/staff/receipts/{receipt.public_id}.pdf")
    content = pdf_text(again.data)
    assert receipt.number in content and "Anonymous donor" in content
    assert POLISH_DONOR not in content
    assert client.get(link).status_code == 404  # the donor's link leads nowhere now
