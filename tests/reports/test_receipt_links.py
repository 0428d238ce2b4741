"""The donor's signed link to their receipts, the annual receipt (beat in January, and on
demand from the link) and the organisation's tax notes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from ngo.reports.receipts import annual, delivery, issuing, links
from ngo.reports.receipts.models import ReceiptTaxNote
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import login, mail_text, sent_mail
from tests.helpers import page_text
from tests.reports.receipt_helpers import attached_pdf, pdf_text, receipts
from tests.smtp_server import Inbox, smtp_server

LAST_YEAR = utcnow().year - 1


def _receipts_path(message) -> str:
    match = re.search(r"http://ngo\.test(/giving/receipts/\S+)", mail_text(message))
    assert match, "no receipts link in the mail"
    return match.group(1)


def _gift_last_year(give, donor, amount_minor, month=6):
    donation = give(amount_minor, donor=donor)
    donation.confirmed_at = datetime(LAST_YEAR, month, 15, 12, 0)
    db.session.flush()
    return donation


@pytest.fixture
def donor(organisation):
    return factories.DonorFactory(
        organisation_id=organisation.id, name="Łucja Żak", email="lucja@example.org", locale="pl"
    )


def test_the_link_in_the_mail_lists_and_downloads_the_donors_receipts(app, client, give, donor):
    first = give(5_000, donor=donor)
    second = give(2_000, donor=donor)
    give(1_000)  # someone else's
    db.session.commit()
    path = _receipts_path(sent_mail(app)[0])
    assert donor.email not in path and "Łucja" not in path

    page = client.get(path)
    assert page.status_code == 200
    mine = receipts(donor_id=donor.id)
    assert {r.donation_id for r in mine} == {first.id, second.id}
    for receipt in mine:
        assert receipt.number in page.text
    others = [r for r in receipts() if r.donor_id != donor.id]
    assert others and others[0].number not in page.text
    assert 'name="robots" content="noindex' in page.text

    download = client.get(f"{path}/{mine[1].public_id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == mine[1].pdf
    # Another donor's receipt is not reached through this donor's link.
    assert client.get(f"{path}/{others[0].public_id}.pdf").status_code == 404


def test_a_forged_or_expired_link_says_so(app, client, give, donor, monkeypatch):
    give(5_000, donor=donor)
    db.session.commit()
    path = _receipts_path(sent_mail(app)[0])

    forged = client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
    assert forged.status_code == 404
    assert "This link does not work" in forged.text
    assert client.get("/giving/receipts/" + "x" * 300).status_code == 404
    monkeypatch.setattr(links, "LINK_DAYS", -1)
    expired = client.get(path)
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert client.get(path + "/anything.pdf").status_code == 410


def test_the_annual_receipt_goes_out_once_in_january(app, give, donor):
    _gift_last_year(give, donor, 5_000, month=3)
    refunded = _gift_last_year(give, donor, 3_000, month=9)
    refunded.reversed_minor = 1_000
    _gift_last_year(
        give,
        factories.DonorFactory(organisation_id=donor.organisation_id, email=None, email_index=None),
        700,
    )
    db.session.commit()
    before = len(sent_mail(app))

    assert annual.send_annual_receipts_task.apply().get() == 1
    (receipt,) = receipts(kind="annual")
    assert receipt.subject_key == issuing.annual_key(donor.id, LAST_YEAR)
    assert receipt.amount_minor == 7_000 and receipt.currency == "EUR"
    message = sent_mail(app)[before]
    assert message["To"] == donor.email
    filename, pdf = attached_pdf(message)
    assert filename == f"annual-receipt-{receipt.number}.pdf"
    content = pdf_text(pdf)
    assert str(LAST_YEAR) in content and "Łucja Żak" in content
    assert "70,00\xa0€" in content  # 50 + 30 - 10 returned
    for gift_receipt in receipts(donor_id=donor.id, kind="receipt"):
        assert gift_receipt.number in content
    # The next day of January finds nothing to do; a handler run twice sends one mail.
    assert annual.send_annual_receipts_task.apply().get() == 0
    delivery.send_annual_receipt({"donor_id": donor.id, "year": LAST_YEAR})
    assert len(sent_mail(app)) == before + 1
    assert len(receipts(kind="annual")) == 1


def test_a_request_already_waiting_is_not_asked_twice(app, give, donor):
    _gift_last_year(give, donor, 5_000)
    db.session.commit()
    db.session.info.pop("outbox_committed", None)
    assert annual.request_annual_receipts(LAST_YEAR) == 1
    db.session.info.pop("outbox_committed")  # as if the broker were down
    db.session.commit()
    assert annual.request_annual_receipts(LAST_YEAR) == 0
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.kind == delivery.ANNUAL_KIND)
    ).all()
    assert len(kinds) == 1


def test_the_annual_receipt_on_demand_from_the_link(app, client, give, donor):
    _gift_last_year(give, donor, 5_000)
    db.session.commit()
    path = _receipts_path(sent_mail(app)[0])
    page = client.get(path)
    assert f'<option value="{LAST_YEAR}">' in page.text
    assert f'<option value="{LAST_YEAR + 1}">' not in page.text  # the year is not over

    for bad in ("", "abc", str(LAST_YEAR + 1), str(LAST_YEAR - 5)):
        refused = client.post(f"{path}/annual", data={"year": bad})
        assert refused.status_code == 400
        assert "Choose one of the years listed." in refused.text
    assert receipts(kind="annual") == []

    done = client.post(f"{path}/annual", data={"year": str(LAST_YEAR)})
    assert done.status_code == 303
    (receipt,) = receipts(kind="annual")
    download = client.get(done.headers["Location"])
    assert download.status_code == 200 and download.data == receipt.pdf
    again = client.post(f"{path}/annual", data={"year": str(LAST_YEAR)})
    assert again.headers["Location"] == done.headers["Location"]
    assert len(receipts(kind="annual")) == 1


def test_the_admin_sets_the_tax_note_per_language(app, client, staff, give):
    login(client, staff["admin"])
    page = client.get("/admin/receipts")
    assert page.status_code == 200 and "Tax note in Polski" in page.text
    saved = client.post(
        "/admin/receipts",
        data={"note_en": "Gifts are tax deductible.", "note_pl": "Darowizny można odliczyć."},
    )
    assert saved.status_code == 302
    notes = {n.language: n.text for n in db.session.scalars(select(ReceiptTaxNote))}
    assert notes == {"en": "Gifts are tax deductible.", "pl": "Darowizny można odliczyć."}
    # A donor in a language without a note gets the English one.
    ru_donor = factories.DonorFactory(
        organisation_id=staff["admin"].memberships[0].organisation_id, locale="ru"
    )
    donation = give(1_000, donor=ru_donor)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    assert "Gifts are tax deductible." in pdf_text(receipt.pdf)
    # Emptied, a note is removed.
    client.post("/admin/receipts", data={"note_en": "Gifts are tax deductible.", "note_pl": ""})
    assert [n.language for n in db.session.scalars(select(ReceiptTaxNote))] == ["en"]


def test_a_tax_note_naming_the_person_helped_is_refused(app, client, staff, appeal):
    login(client, staff["admin"])
    refused = client.post("/admin/receipts", data={"note_be": "Для Аляксандра Кавалёва."})
    assert refused.status_code == 400
    assert "Private information about a person you help" in refused.text
    too_long = client.post("/admin/receipts", data={"note_en": "x" * 1001})
    assert too_long.status_code == 400
    assert db.session.scalars(select(ReceiptTaxNote)).all() == []


def test_only_admins_set_the_tax_note(app, client, staff):
    login(client, staff["treasurer"])
    assert client.get("/admin/receipts").status_code == 403


def test_beat_asks_for_annual_receipts_every_january_morning_from_the_second(app):
    from worker.beat import beat_schedule

    entry = beat_schedule(app.config)["send-annual-receipts"]
    assert entry["task"] == annual.send_annual_receipts_task.name
    schedule = entry["schedule"]
    assert schedule.month_of_year == {1}
    assert schedule.day_of_month == set(range(2, 32))
    assert (schedule.hour, schedule.minute) == ({6}, {0})


def test_a_refused_annual_receipt_is_noted_and_shown_to_the_treasurer(
    app, client, give, organisation, staff
):
    gone = factories.DonorFactory(organisation_id=organisation.id, email="gone@example.org")
    gift = _gift_last_year(give, gone, 5_000)
    this_year = give(2_000, donor=gone)
    db.session.commit()  # the gifts' own receipts went through
    refusal = "550 5.1.1 <gone@example.org>: user unknown"
    with smtp_server(Inbox(refuse={"gone@example.org": refusal})) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        assert annual.send_annual_receipts_task.apply().get() == 1
    assert inbox.messages == []
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == delivery.ANNUAL_KIND)
    ).one()
    assert status_of(message) == WorkStatus.DEAD  # never retried
    (receipt,) = receipts(kind="annual")
    assert receipt.mail_failed_at is not None and receipt.emailed_at is None
    assert receipt.mail_failure == "SMTP 550 recipient refused"
    assert receipt.pdf is not None  # numbered and stored, for staff to print
    db.session.refresh(gift)
    assert gift.mail_failed_at is None  # the gift's own receipt was delivered

    login(client, staff["treasurer"])
    page = page_text(client.get(f"/treasury/donations/gifts/{gift.public_id}"))
    assert "Annual receipt" in page and receipt.number in page
    assert "Refused for good by the donor's mail server" in page
    assert "SMTP 550" in page and "gone@example.org" not in page
    other_year = page_text(client.get(f"/treasury/donations/gifts/{this_year.public_id}"))
    assert receipt.number not in other_year
