"""Compose and send e-mail. MAIL_URL picks the transport:

- file:///path/to/folder            write each message as an .eml file (the default)
- smtp://user:password@host:port    plain SMTP, upgraded with STARTTLS when the server offers it
- smtps://user:password@host:port   SMTP over TLS
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app


class MailConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


def compose(
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A message from MAIL_FROM: the text part, the HTML alternative if given, then the files."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="ngo.local")
    message.set_content(text_body)
    if html_body is not None:
        message.add_alternative(html_body, subtype="html")
    for attachment in attachments:
        maintype, _slash, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
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


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system's CA certificates takes some 75 ms: once per process, not per mail
    # (a worker sending receipts spent a fifth of its time here).
    return ssl.create_default_context()


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    use_tls = parts.scheme == "smtps"
    port = parts.port or (465 if use_tls else 25)
    host = parts.hostname or "localhost"
    client: smtplib.SMTP = (
        smtplib.SMTP_SSL(host, port, timeout=30, context=_tls_context())
        if use_tls
        else smtplib.SMTP(host, port, timeout=30)
    )
    with client:
        if not use_tls:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=_tls_context())
                client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def deliver(message: EmailMessage) -> None:
    url = str(current_app.config["MAIL_URL"])
    scheme = urlsplit(url).scheme
    if scheme == "file":
        _write_to_folder(Path(unquote(urlsplit(url).path)), message)
    elif scheme in ("smtp", "smtps"):
        _send_smtp(url, message)
    else:
        raise MailConfigurationError("MAIL_URL must start with file://, smtp:// or smtps://")


def send_mail(to: str, subject: str, text_body: str, html_body: str | None = None) -> None:
    deliver(compose(to, subject, text_body, html_body))
