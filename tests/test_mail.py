from __future__ import annotations

import pytest

from ngo import mail
from tests.conftest import mail_text, sent_mail
from tests.smtp_server import smtp_server


def test_file_outbox_writes_eml_files(app):
    mail.send_mail("reader@example.org", "Hello", "Body text", "<p>Body text</p>")
    (message,) = sent_mail(app)
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "Hello"
    assert mail_text(message).strip() == "Body text"


def test_smtp_transport_delivers_to_a_real_server(app):
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        mail.send_mail("reader@example.org", "Über", "Тэкст па-беларуску")
        message = inbox.wait_for("reader@example.org", timeout=10)
    assert message["Subject"] == "Über"
    assert "Тэкст па-беларуску" in mail_text(message)


def test_unknown_mail_scheme_is_explained(app):
    app.config["MAIL_URL"] = "pigeon://coop"
    with pytest.raises(mail.MailConfigurationError, match="MAIL_URL must start with"):
        mail.send_mail("a@example.org", "s", "b")


def test_attachments_travel_after_the_text_and_html_parts(app):
    pdf = b"%PDF-1.7 receipt"
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        message = mail.compose(
            "donor@example.org",
            "Receipt",
            "Thank you",
            "<p>Thank you</p>",
            attachments=[mail.Attachment("receipt-2026-0001.pdf", "application/pdf", pdf)],
        )
        mail.deliver(message)
        received = inbox.wait_for("donor@example.org", timeout=10)

    (attachment,) = received.iter_attachments()
    assert attachment.get_filename() == "receipt-2026-0001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == pdf
    assert mail_text(received).strip() == "Thank you"
