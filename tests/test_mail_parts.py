"""`mail.compose` writes the MIME structure as text (ngo/mail_parts.py): what it sends must
read, through the email package's parser, as what the package's own `set_content`,
`add_alternative` and `add_attachment` make."""

from __future__ import annotations

import email
import email.policy
import io
import itertools
import re
from email.generator import BytesGenerator
from email.message import EmailMessage, Message

import pytest

from ngo import mail, smtp

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
SENDER = "Фонд «Дапамога» <no-reply@fundacja.example>"
SUBJECTS = [
    "Receipt",
    "Dziękujemy: Twoja darowizna została potwierdzona",
    "Дзякуй: ваша ахвяраванне пацверджана і квітанцыя № 2026-000027 далучаная да ліста",
    "Квитанція 🌻 " * 12,
    "Looks like =?utf-8?q?an_encoded_word?= but is not",
    "A plain subject that is far too long to fit on one line of seventy-eight columns at all",
    "  spaced  out  ",
]
BODIES = [
    "Thank you.\n",
    "Dziękujemy za dar.\nKod: NYNC-T6FH\n",
    "Вялікі дзякуй!\n\nhttp://127.0.0.1:8000/giving/receipts/" + "IkFpY3BXUkZ2WGpVYktm" * 6 + "\n",
    "\n".join(f"Line {n}: " + "plain words " * 9 for n in range(14)),
    "From the treasurer\nFrom here on\r\nwith \r odd line ends\n",
]


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _flattened(message: EmailMessage) -> bytes:
    with io.BytesIO() as buffer:
        BytesGenerator(buffer).flatten(message, linesep="\r\n")
        return buffer.getvalue()


def _package_compose(
    to: str,
    subject: str,
    text: str,
    html: str | None,
    attachments: list[mail.Attachment],
    language: str | None,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The message as the email package's content manager makes it (compose before stop 21)."""
    message = EmailMessage(policy=mail.BULK_POLICY if unsubscribe_url else mail.POLICY)
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _slash, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    if language:
        message["Content-Language"] = language
    return message


def _shape(message: Message) -> list[tuple[object, ...]]:
    """What a reader of the parsed message gets: each part's type, parameters, encoding and
    decoded content, in order."""
    shape: list[tuple[object, ...]] = []
    for part in message.walk():
        assert isinstance(part, EmailMessage)
        content = None if part.is_multipart() else part.get_content()
        shape.append(
            (
                part.get_content_type(),
                part.get_param("charset"),
                part.get("Content-Transfer-Encoding"),
                part.get_content_disposition(),
                part.get_filename(),
                content,
                # The encoded body too: the same encoding chosen, the same lines.
                None if part.is_multipart() else part.get_payload(),
            )
        )
    return shape


def _headers(message: Message) -> dict[str, str | None]:
    names = ("From", "To", "Subject", "Content-Language", "List-Unsubscribe", "MIME-Version")
    return {name: message[name] for name in names}


@pytest.fixture
def sender(app):
    app.config["MAIL_FROM"] = SENDER
    return app


CASES = list(
    itertools.product(
        SUBJECTS,
        BODIES,
        [None, "<p>Вялікі дзякуй</p>\n"],
        [
            [],
            [mail.Attachment("receipt-2026-000027.pdf", "application/pdf", PDF)],
            [
                mail.Attachment("квітанцыя-2026-000027.pdf", "application/pdf", PDF),
                mail.Attachment("list.csv", "text/csv", "a;b\nżółw;1\n".encode()),
            ],
        ],
        [None, "https://ngo.test/follow/" + "t" * 60 + "/unsubscribe"],
    )
)


@pytest.mark.parametrize(("subject", "body", "html", "attachments", "unsubscribe"), CASES[::7])
def test_compose_reads_as_the_packages_own_message(
    sender, subject, body, html, attachments, unsubscribe
):
    to = "Zażółć Gęślą <donor@example.org>"
    ours = mail.compose(
        to, subject, body, html, attachments=attachments, language="be", unsubscribe_url=unsubscribe
    )
    theirs = _package_compose(to, subject, body, html, attachments, "be", unsubscribe)
    for data, package_data, linesep in (
        (smtp._flattened(ours), _flattened(theirs), b"\r\n"),  # over SMTP
        (bytes(ours), bytes(theirs), b"\n"),  # to a folder
    ):
        received = _parsed(data)
        assert _shape(received) == _shape(_parsed(package_data))
        expected = _headers(_parsed(package_data))
        if not subject.isascii():
            # The package's folding of a long subject in another script drops a space now
            # and then ("Квитанція 🌻 Квитанція🌻"): ours reads back as given.
            expected["Subject"] = subject
        assert _headers(received) == expected
        assert received["Message-ID"].endswith("@fundacja.example>")
        assert received["Date"].datetime is not None
        assert not received.defects
        assert all(not part.defects for part in received.walk())
        max_line = 998 if unsubscribe else 78
        assert max(len(line) for line in data.split(linesep)) <= max_line


def test_a_receipts_mail_parsed_from_what_smtp_sends(sender):
    subject = "Дзякуй: ваша ахвяраванне пацверджана"
    message = mail.compose(
        "Наталля Ярошка <natallia@example.org>",
        subject,
        BODIES[2],
        attachments=[mail.Attachment("receipt-2026-000027.pdf", "application/pdf", PDF)],
        language="be",
    )
    data = smtp._flattened(message)
    received = _parsed(data)

    assert received.get_content_type() == "multipart/mixed"
    text, attachment = received.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n") == BODIES[2]  # as the package reads it
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "receipt-2026-000027.pdf"
    assert attachment.get_content() == PDF
    assert received["Subject"] == subject
    assert received["From"] == SENDER
    assert received["To"].addresses[0].display_name == "Наталля Ярошка"
    assert received["Content-Language"] == "be"
    assert received["MIME-Version"] == "1.0"
    assert received["List-Unsubscribe"] is None
    # The headers travel in ASCII: the subject and the names as RFC 2047 encoded words.
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    # What the outbox's step key reads from the composed message: the subject as given.
    assert message["Subject"] == subject
    assert str(message["To"]) == "Наталля Ярошка <natallia@example.org>"


def test_a_file_name_in_another_script_is_encoded_per_rfc_2231(sender):
    name = "квітанцыя-2026-000027.pdf"
    message = mail.compose(
        "donor@example.org",
        "Receipt",
        "Thank you",
        attachments=[mail.Attachment(name, "application/pdf", PDF)],
    )
    data = smtp._flattened(message)
    assert b"filename*0*=utf-8''%D0%BA%D0%B2" in data  # in two sections: a long one
    (attachment,) = _parsed(data).iter_attachments()
    assert attachment.get_filename() == name
    assert attachment.get_content() == PDF


@pytest.mark.parametrize("subject", SUBJECTS)
def test_encoded_subjects_read_back_as_given(sender, subject):
    message = mail.compose("donor@example.org", subject, "Thank you")
    data = smtp._flattened(message)
    package = _package_compose("donor@example.org", subject, "Thank you", None, [], None, None)
    # In another script: as given (the package's own folding drops a space now and then).
    expected = _parsed(_flattened(package))["Subject"] if subject.isascii() else subject
    assert _parsed(data)["Subject"] == expected
    # What the outbox's step key reads: as before.
    assert message["Subject"] == package["Subject"]
    words = re.findall(rb"=\?utf-8\?b\?[^?]*\?=", data)
    assert all(len(word) <= 75 for word in words)


def test_a_line_break_in_a_subject_is_refused_as_by_the_package(sender):
    with pytest.raises(ValueError, match="linefeed"):
        mail.compose("donor@example.org", "Receipt\nBcc: everyone@example.org", "Thank you")


@pytest.mark.parametrize("body", BODIES)
def test_the_smtp_flattener_writes_the_generators_bytes(sender, body):
    """smtp._Flattener does less work than BytesGenerator for the same bytes (mangling "From "
    lines as send_message does)."""
    for html in (None, "<p>From here</p>"):
        message = mail.compose(
            "donor@example.org",
            "Receipt",
            body,
            html,
            attachments=[mail.Attachment("receipt.pdf", "application/pdf", PDF)],
        )
        assert smtp._flattened(message) == _flattened(message)
        package = _package_compose("donor@example.org", "Receipt", body, html, [], None, None)
        assert smtp._flattened(package) == _flattened(package)
