"""The donor's confirmation e-mail through a real SMTP server: in the donor's language, once;
a permanent refusal is noted on the gift (code only) and shown to the treasurer; a temporary
one leaves the message failed, to be tried again."""

from __future__ import annotations

from sqlalchemy import select

from ngo.donations.confirmation import RECEIPT_KIND
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from tests import factories
from tests.conftest import login, mail_text
from tests.helpers import page_text
from tests.smtp_server import Inbox, smtp_server


def _receipt_message() -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == RECEIPT_KIND)).one()


def _donor(appeal, address, locale="en"):
    return factories.DonorFactory(
        organisation_id=appeal.organisation_id, email=address, locale=locale
    )


def test_the_receipt_goes_out_once_in_the_donors_language(app, appeal, give):
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        donation = give(5_000, donor=_donor(appeal, "darczynca@example.org", "pl"))
        db.session.commit()
        (received,) = inbox.to("darczynca@example.org")
    assert received["Content-Language"] == "pl"
    assert donation.receipt_code in mail_text(received)
    assert received["Subject"] != "Thank you: your gift is confirmed"  # Polish, not English
    message = _receipt_message()
    assert status_of(message) == WorkStatus.SENT
    assert message.organisation_id == appeal.organisation_id


def test_a_refused_address_is_noted_on_the_gift_and_shown_to_the_treasurer(
    app, client, appeal, give, staff
):
    refusal = "550 5.1.1 <gone@example.org>: user unknown"
    with smtp_server(Inbox(refuse={"gone@example.org": refusal})) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        donation = give(5_000, donor=_donor(appeal, "gone@example.org"))
        db.session.commit()
    assert inbox.messages == []
    message = _receipt_message()
    assert status_of(message) == WorkStatus.DEAD  # never retried
    db.session.refresh(donation)
    assert donation.mail_failed_at is not None
    assert donation.mail_failure == "SMTP 550 recipient refused"

    login(client, staff["treasurer"])
    page = page_text(client.get(f"/treasury/donations/gifts/{donation.public_id}"))
    assert "Refused for good by the donor's mail server" in page
    assert "SMTP 550" in page and "gone@example.org" not in page


def test_a_full_mailbox_leaves_the_receipt_failed_and_the_gift_unmarked(app, appeal, give):
    with smtp_server(Inbox(refuse={"full@example.org": "452 4.2.2 mailbox full"})) as (
        _inbox,
        port,
    ):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        donation = give(5_000, donor=_donor(appeal, "full@example.org"))
        db.session.commit()
    message = _receipt_message()
    assert status_of(message) == WorkStatus.FAILED
    assert (message.last_error, message.last_error_detail) == (
        "TemporaryDeliveryError",
        "SMTP 452 recipient",
    )
    assert message.due_at is not None
    db.session.refresh(donation)
    assert donation.mail_failed_at is None
