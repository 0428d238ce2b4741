"""Compose and send e-mail. MAIL_URL picks the transport:

- file:///path/to/folder            write each message as an .eml file (the default)
- smtp://user:password@host:port    plain SMTP (port 25 by default), upgraded with STARTTLS
                                    when the server offers it; ?starttls=required refuses to
                                    send without it
- smtps://user:password@host:port   SMTP over TLS from the first byte (port 465 by default)

Failures are sorted for the outbox (ngo/outbox/):

- `PermanentDeliveryError` (an `outbox.PermanentError`): the recipient's server refused the
  address or the message with a 5xx code. Trying again cannot help: the outbox marks the message
  dead, and the domain's `on_permanent_failure` notes it on its record (the donation, the
  follower) for staff to see. Its `safe_message` ("SMTP 550") is all that is kept: the server's
  text often repeats the address.
- `TemporaryDeliveryError`: 4xx codes, a refused or dropped connection, a timeout, and also
  our own server refusing our sender or sign-in (a configuration to fix, not the recipient's
  fault). The outbox retries it with backoff.

Inside an outbox delivery each mail is a step of the message (`outbox.record_step`): once a
recipient's server accepted it, the step is recorded (committed with the handler's next commit,
at the latest with the message's mark that it was sent or with its failure), and a retry of the
message (the handler failed afterwards) does not send it again.

The SMTP transport, its kept connections and the sorting of its failures are `ngo.smtp`.
"""

from __future__ import annotations

import email.policy
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from flask import current_app

from ngo import mail_parts, outbox, smtp
from ngo.mail_parts import SharedHeaders
from ngo.smtp import (
    MailConfigurationError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    close_connection,
)

__all__ = [
    "BULK_POLICY",
    "POLICY",
    "Attachment",
    "MailConfigurationError",
    "PermanentDeliveryError",
    "TemporaryDeliveryError",
    "close_connection",
    "compose",
    "deliver",
    "send_mail",
    "sender_domain",
]

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


# email.policy.default but for its header factory (ngo.mail_parts.SharedHeaders): the same
# headers, parsed and folded alike.
POLICY = email.policy.default.clone(header_factory=SharedHeaders())
# A long link has no space to fold at; the default 78 columns would turn it into an encoded
# word, which mail programs do not read as a link. RFC 5322 allows 998.
BULK_POLICY = POLICY.clone(max_line_length=998)


def sender_domain() -> str:
    """The domain of MAIL_FROM, which Message-IDs carry (RFC 5322 wants them unique there)."""
    return _domain_of(str(current_app.config["MAIL_FROM"]))


@cache
def _domain_of(sender: str) -> str:
    _name, address = parseaddr(sender)
    domain = address.rpartition("@")[2].strip()
    return domain or "localhost"


def compose(
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    attachments: Sequence[Attachment] = (),
    language: str | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A message from MAIL_FROM: the text part, the HTML alternative if given, then the files.

    `language` (the recipient's, which the caller also rendered the text in) becomes
    Content-Language. `unsubscribe_url` marks bulk mail: List-Unsubscribe (RFC 2369) with
    List-Unsubscribe-Post (RFC 8058), so that mail programs offer their own one-click button,
    which POSTs to that address."""
    message = EmailMessage(policy=BULK_POLICY if unsubscribe_url else POLICY)
    # The addresses through the email package (parsed, checked, encoded as needed); the
    # rest written as text where the package would write it alike (ngo.mail_parts).
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    mail_parts.set_subject(message, subject)
    mail_parts.set_plain(message, "Date", formatdate(localtime=False))
    mail_parts.set_plain(message, "Message-ID", make_msgid(domain=sender_domain()))
    if unsubscribe_url:  # with BULK_POLICY's long lines
        mail_parts.set_plain(message, "List-Unsubscribe", f"<{unsubscribe_url}>")
        mail_parts.set_plain(message, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message.set_raw("MIME-Version", "1.0")
    mail_parts.fill_body(message, text_body, html_body, attachments)
    if language:
        mail_parts.set_plain(message, "Content-Language", language)
    return message


def _write_to_folder(folder: Path, message: EmailMessage) -> None:
    # Messages hold names and sign-in links: the owner's alone, whatever the process umask.
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
    tmp = folder / (name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(message))
    tmp.rename(folder / name)  # readers never see a half-written file


def deliver(message: EmailMessage) -> None:
    """Send one message. Inside an outbox delivery, a recipient already sent this message's
    mail by an earlier attempt is skipped, and a sent mail is recorded (see the docstring)."""
    step = outbox.step_key("mail", f"{message['To']}\n{message['Subject']}")
    if outbox.step_done(step):
        log.info("mail already sent by an earlier attempt of this outbox message: skipped")
        return
    url = str(current_app.config["MAIL_URL"])
    scheme = urlsplit(url).scheme
    if scheme == "file":
        _write_to_folder(Path(unquote(urlsplit(url).path)), message)
    elif scheme in ("smtp", "smtps"):
        smtp.send(url, message)
    else:
        raise MailConfigurationError("MAIL_URL must start with file://, smtp:// or smtps://")
    outbox.record_step(step)


def send_mail(
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    language: str | None = None,
) -> None:
    deliver(compose(to, subject, text_body, html_body, language=language))
