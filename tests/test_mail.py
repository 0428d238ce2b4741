from __future__ import annotations

import pytest

from ngo import mail, outbox
from tests.conftest import mail_text, sent_mail
from tests.smtp_server import (
    Inbox,
    free_port,
    password_check,
    self_signed_certificate,
    server_tls_context,
    smtp_server,
)


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


def test_headers_name_the_senders_domain_the_date_and_the_language(app):
    app.config["MAIL_FROM"] = "Fundacja <no-reply@fundacja.example>"
    mail.send_mail("reader@example.org", "Cześć", "Treść", language="pl")
    (message,) = sent_mail(app)
    assert message["Message-ID"].endswith("@fundacja.example>")
    assert message["Date"]
    assert message["Content-Language"] == "pl"
    assert message["List-Unsubscribe"] is None  # only bulk mail carries it


def test_bulk_mail_offers_one_click_unsubscribe(app):
    url = "http://ngo.test/follow/" + "t" * 60 + "/unsubscribe"
    mail.deliver(mail.compose("reader@example.org", "News", "Body", unsubscribe_url=url))
    (message,) = sent_mail(app)
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_text_and_html_travel_as_alternatives(app):
    mail.send_mail("reader@example.org", "Hello", "Plain words", "<p>Rich words</p>")
    (message,) = sent_mail(app)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("html",)).get_content().strip() == "<p>Rich words</p>"


def test_a_refused_recipient_is_a_permanent_failure_without_the_address(app):
    inbox = Inbox(refuse={"gone@example.org": "550 5.1.1 <gone@example.org>: no such user"})
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        with pytest.raises(mail.PermanentDeliveryError) as failure:
            mail.send_mail("gone@example.org", "Receipt", "Thank you")
    assert failure.value.code == 550
    assert failure.value.safe_message == "SMTP 550 recipient refused"
    assert "gone" not in str(failure.value) and failure.value.__cause__ is None
    assert isinstance(failure.value, outbox.PermanentError)


def test_a_full_mailbox_and_a_closed_port_are_temporary(app):
    inbox = Inbox(refuse={"full@example.org": "452 4.2.2 mailbox full"})
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        with pytest.raises(mail.TemporaryDeliveryError, match="SMTP 452"):
            mail.send_mail("full@example.org", "Receipt", "Thank you")
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens
    with pytest.raises(mail.TemporaryDeliveryError, match="ECONNREFUSED"):
        mail.send_mail("reader@example.org", "Receipt", "Thank you")


@pytest.fixture
def trusted_certificate(tmp_path, monkeypatch):
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # Python's default context trusts it
    return server_tls_context(cert, key)


def test_starttls_and_sign_in(app, trusted_certificate):
    options = {
        "tls_context": trusted_certificate,
        "require_starttls": True,
        "authenticator": password_check("mailer", "s3cret/pass"),
        "auth_required": True,
    }
    with smtp_server(**options) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://mailer:s3cret%2Fpass@127.0.0.1:{port}?starttls=required"
        mail.send_mail("reader@example.org", "Over TLS", "Encrypted on the way")
        assert mail_text(inbox.wait_for("reader@example.org", timeout=10)).strip() == (
            "Encrypted on the way"
        )
        app.config["MAIL_URL"] = f"smtp://mailer:wrong@127.0.0.1:{port}"
        with pytest.raises(mail.TemporaryDeliveryError, match="SMTP 535"):
            mail.send_mail("reader@example.org", "Over TLS", "Refused sign-in")


def test_starttls_required_but_not_offered_sends_nothing(app):
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}?starttls=required"
        with pytest.raises(mail.MailConfigurationError, match="STARTTLS"):
            mail.send_mail("reader@example.org", "Plain", "Must not travel in clear")
    assert inbox.messages == []


def test_implicit_tls(app, trusted_certificate):
    with smtp_server(ssl_context=trusted_certificate) as (inbox, port):
        app.config["MAIL_URL"] = f"smtps://127.0.0.1:{port}"
        mail.send_mail("reader@example.org", "TLS", "From the first byte")
        assert inbox.wait_for("reader@example.org", timeout=10)["Subject"] == "TLS"
