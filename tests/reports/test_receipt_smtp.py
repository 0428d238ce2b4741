"""Receipts as a real SMTP server (aiosmtpd) receives them: headers, the PDF attached, the
donor's language; and a server that refuses leaves the e-mail to the next delivery."""

from __future__ import annotations

import email.utils
import hashlib

from ngo.extensions import db
from ngo.outbox import OutboxMessage
from ngo.reports.receipts import delivery, document
from tests import factories
from tests.conftest import mail_text
from tests.reports.receipt_helpers import attached_pdf, pdf_text, receipts
from tests.smtp_server import Inbox, free_port, smtp_server


def test_the_receipt_arrives_in_the_donors_language_with_its_pdf(app, organisation, give):
    donor = factories.DonorFactory(
        organisation_id=organisation.id,
        name="Олена Шевчук",
        email="olena@example.org",
        locale="uk",
    )
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        donation = give(5_000, donor=donor)
        db.session.commit()
        message = inbox.wait_for("olena@example.org", timeout=10)
    (receipt,) = receipts(donation_id=donation.id)
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Message-ID"] and email.utils.parsedate_to_datetime(message["Date"])
    assert message["Subject"] == "Дякуємо: вашу пожертву підтверджено"
    assert message.get_content_type() == "multipart/mixed"
    filename, pdf = attached_pdf(message)
    assert filename == f"receipt-{receipt.number}.pdf"
    assert pdf == receipt.pdf
    content = pdf_text(pdf)
    assert "Олена Шевчук" in content and receipt.number in content
    assert "olena@example.org" not in content
    body = mail_text(message)
    assert receipt.number in body and donation.receipt_code in body
    assert "Олена" not in body  # the mail says what was given, not to whom it is addressed
    assert len(inbox.messages) == 1


def test_a_server_down_leaves_the_mail_for_the_next_delivery(app, give):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens
    donation = give(5_000)
    # The eager worker's delivery fails; the dispatch leaves the message to the relay.
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    assert receipt.emailed_at is None
    assert receipt.pdf is not None  # the number and the PDF stay; only the mail is due
    message = db.session.query(OutboxMessage).filter_by(kind="donations.receipt").one()
    assert message.sent_at is None and message.last_error
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        delivery.send_receipt({"donation_id": donation.id})
        inbox.wait_for(donation.donor.email, timeout=10)
        delivery.send_receipt({"donation_id": donation.id})
    assert len(inbox.messages) == 1
    assert [r.number for r in receipts(donation_id=donation.id)] == [receipt.number]


def test_a_refused_receipt_keeps_its_pdf_for_staff(app, organisation, give):
    donor = factories.DonorFactory(organisation_id=organisation.id, email="gone@example.org")
    refusal = "550 5.1.1 user unknown"
    with smtp_server(Inbox(refuse={"gone@example.org": refusal})) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        donation = give(5_000, donor=donor)
        db.session.commit()
    assert inbox.messages == []
    (receipt,) = receipts(donation_id=donation.id)
    assert receipt.emailed_at is None
    assert receipt.pdf is not None and receipt.pdf_sha256 == hashlib.sha256(receipt.pdf).hexdigest()


def test_a_receipt_renders_to_the_same_bytes_each_time(app, give):
    # What lets the PDF be stored in the commit of its mail: a retry after a worker lost
    # between the server's acceptance and that commit stores the very PDF that was sent.
    donation = give(5_000)
    db.session.commit()
    (receipt,) = receipts(donation_id=donation.id)
    assert receipt.pdf is not None
    assert document.render_receipt(receipt) == receipt.pdf
