"""One kept SMTP connection per worker: mails in a row share it, a connection the server closed
is replaced, a mail is sent again only when it certainly did not leave, and refusals on a kept
connection are sorted as on a new one."""

from __future__ import annotations

from typing import Any

import pytest

from ngo import mail, smtp
from tests.smtp_server import Inbox, password_check, smtp_server


class CountingInbox(Inbox):
    """Notes the connection (the client's address and port) of every mail, and every DATA."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        super().__init__(refuse)
        self.connections: list[tuple[str, int]] = []
        self.data_replies: list[str] = []  # replies to give to the next DATA commands

    async def handle_DATA(self, server: object, session: Any, envelope: Any) -> str:  # noqa: N802
        self.connections.append(session.peer)
        if self.data_replies:
            return self.data_replies.pop(0)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(autouse=True)
def _no_connection_kept_between_tests():
    mail.close_connection()
    yield
    mail.close_connection()


def _send(to: str = "reader@example.org", subject: str = "Receipt") -> None:
    mail.send_mail(to, subject, "Thank you")


def test_mails_in_a_row_travel_over_one_connection(app):
    inbox = CountingInbox()
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        for number in range(3):
            _send(subject=f"Receipt {number}")
    assert [m["Subject"] for m in inbox.messages] == ["Receipt 0", "Receipt 1", "Receipt 2"]
    assert len(set(inbox.connections)) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_signing_in_happens_once_per_connection(app):
    sign_ins: list[str] = []
    check = password_check("mailer", "s3cret")

    def counting_check(*args: Any) -> Any:
        sign_ins.append(args[3])
        return check(*args)

    options = {"authenticator": counting_check, "auth_required": True, "auth_require_tls": False}
    with smtp_server(**options) as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://mailer:s3cret@127.0.0.1:{port}"
        _send(subject="one")
        _send(subject="two")
    assert [m["Subject"] for m in inbox.messages] == ["one", "two"]
    assert len(sign_ins) == 1


def test_a_connection_the_server_closed_is_replaced(app):
    first, second = CountingInbox(), CountingInbox()
    with smtp_server(first) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        _send(subject="before the restart")
    with smtp_server(second, port=port):  # the server restarted: the kept connection is gone
        _send(subject="after the restart")
    assert [m["Subject"] for m in first.messages] == ["before the restart"]
    assert [m["Subject"] for m in second.messages] == ["after the restart"]


def test_a_kept_connection_found_dead_as_the_mail_begins_sends_it_once_afresh(app, monkeypatch):
    first, second = CountingInbox(), CountingInbox()
    with smtp_server(first) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        _send(subject="first")
    # The server's close arrives just as the next mail begins: not seen before MAIL FROM.
    monkeypatch.setattr(smtp, "_still_open", lambda client: client.sock is not None)
    with smtp_server(second, port=port):
        _send(subject="second")
    assert [m["Subject"] for m in second.messages] == ["second"]  # once, over a new connection
    assert len(second.connections) == 1


def test_a_connection_lost_in_data_is_a_temporary_failure_and_not_sent_again(app):
    inbox = CountingInbox()
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        _send(subject="kept")
        inbox.data_replies.append("421 4.3.2 Shutting down")  # the server may have the mail
        with pytest.raises(mail.TemporaryDeliveryError, match="SMTP 421"):
            _send(subject="lost in DATA")
        assert len(inbox.connections) == 2  # DATA once: the outbox retries it later, not us
        _send(subject="next")
    assert [m["Subject"] for m in inbox.messages] == ["kept", "next"]


def test_refusals_on_a_kept_connection_are_sorted_as_on_a_new_one(app):
    inbox = CountingInbox(
        refuse={
            "gone@example.org": "550 5.1.1 <gone@example.org>: no such user",
            "full@example.org": "452 4.2.2 mailbox full",
        }
    )
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        _send(subject="kept")
        with pytest.raises(mail.PermanentDeliveryError) as refused:
            _send("gone@example.org")
        assert refused.value.safe_message == "SMTP 550 recipient refused"
        _send(subject="after a refusal")
        with pytest.raises(mail.TemporaryDeliveryError, match="SMTP 452"):
            _send("full@example.org")
        _send(subject="after a full mailbox")
    assert [m["Subject"] for m in inbox.messages] == [
        "kept",
        "after a refusal",
        "after a full mailbox",
    ]


def test_an_idle_connection_is_not_used_again(app, monkeypatch):
    monkeypatch.setattr(smtp, "SMTP_REUSE_SECONDS", 0)
    inbox = CountingInbox()
    with smtp_server(inbox) as (_inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        _send(subject="one")
        _send(subject="two")
    assert len(set(inbox.connections)) == 2
