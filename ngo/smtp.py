"""SMTP for `ngo.mail`: kept connections, and failures sorted for the outbox.

Each process (each thread) keeps its SMTP connection open for the next mail instead of
connecting, greeting, upgrading to TLS, signing in and quitting for every one: four round trips
a mail (MAIL, RCPT, DATA, the message) instead of eight to eleven. A kept connection is used
again for at most SMTP_REUSE_SECONDS after its last mail and SMTP_MESSAGES_PER_CONNECTION
mails, and only if the server has not closed it meanwhile; any error closes it. When a server
closes a kept connection just as a mail begins (before its DATA), the mail cannot have been
accepted, and it goes once more over a new connection; a connection lost during DATA is a
temporary failure, as before, since the server may have taken the mail.
"""

from __future__ import annotations

import io
import os
import select
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from ngo import outbox

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

SMTP_TIMEOUT_SECONDS = 30
# How long after its last mail, and for how many mails, a connection is used again (servers
# close idle connections after a few minutes; some limit the mails per connection).
SMTP_REUSE_SECONDS = 60
SMTP_MESSAGES_PER_CONNECTION = 100


class MailConfigurationError(RuntimeError):
    pass


class PermanentDeliveryError(outbox.PermanentError):
    """The recipient's mail server refused for good (5xx); see the module's docstring."""

    def __init__(self, safe_message: str, code: int) -> None:
        super().__init__(safe_message)
        self.code = code


class TemporaryDeliveryError(Exception):
    """Worth trying again later (4xx, connection, timeout). `safe_message` holds no address."""

    def __init__(self, safe_message: str) -> None:
        super().__init__(safe_message)
        self.safe_message = safe_message


def _tls_context() -> ssl.SSLContext:
    # Loading the system's CA certificates takes some 75 ms: once per process (and trust
    # store), not per mail; a worker sending receipts spent a fifth of its time here.
    return _tls_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@cache
def _tls_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    del cert_file, cert_dir  # the key: create_default_context reads them from the environment
    return ssl.create_default_context()


class _SMTP(smtplib.SMTP):
    """Says whether the mail in progress reached DATA: before it, nothing was accepted."""

    in_data = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.in_data = True
        return super().data(msg)


class _SMTPOverTLS(_SMTP, smtplib.SMTP_SSL):
    pass


def _smtp_client(url: str) -> _SMTP:
    parts = urlsplit(url)
    use_tls = parts.scheme == "smtps"
    port = parts.port or (465 if use_tls else 25)
    host = parts.hostname or "localhost"
    context = _tls_context()
    if use_tls:
        return _SMTPOverTLS(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    client = _SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        elif parse_qs(parts.query).get("starttls") == ["required"]:
            raise MailConfigurationError("the SMTP server does not offer STARTTLS")
    except BaseException:
        client.close()
        raise
    return client


@dataclass
class _Connection:
    key: tuple[object, ...]
    pid: int
    client: _SMTP
    last_used: float
    mails: int = 0

    def reusable(self, key: tuple[object, ...]) -> bool:
        return (
            self.key == key
            and self.mails < SMTP_MESSAGES_PER_CONNECTION
            and time.monotonic() - self.last_used < SMTP_REUSE_SECONDS
            and _still_open(self.client)
        )


# One kept connection per thread (a Celery worker process has one thread; a threaded server
# one per thread): never used by two mails at once.
_kept = threading.local()


def _still_open(client: smtplib.SMTP) -> bool:
    """Without a round trip: a server that closed the connection (or said it will, 421) has
    made the socket readable; an idle connection in good order has nothing to read."""
    sock = client.sock
    if sock is None:
        return False
    poller = select.poll()  # not select.select: a busy process may hold descriptors >= 1024
    try:
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def _close(connection: _Connection, *, politely: bool = False) -> None:
    if getattr(_kept, "connection", None) is connection:
        _kept.connection = None
    try:
        if politely:
            connection.client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        connection.client.close()


def close_connection() -> None:
    """Close this thread's kept SMTP connection, if any (with QUIT)."""
    connection: _Connection | None = getattr(_kept, "connection", None)
    if connection is not None and connection.pid == os.getpid():
        _close(connection, politely=True)
    _kept.connection = None


def _connection(url: str, *, fresh: bool = False) -> tuple[_Connection, bool]:
    """This thread's connection to the server of `url`, and whether it was kept from an
    earlier mail."""
    key = (url, _tls_context())  # the context too: another trust store, another handshake
    kept: _Connection | None = getattr(_kept, "connection", None)
    if kept is not None and kept.pid != os.getpid():
        kept = _kept.connection = None  # the parent's, inherited by a fork: not ours to use
    if kept is not None:
        if not fresh and kept.reusable(key):
            return kept, True
        _close(kept, politely=_still_open(kept.client))
    client = _smtp_client(url)
    parts = urlsplit(url)
    try:
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    connection = _Connection(key, os.getpid(), client, time.monotonic())
    _kept.connection = connection
    return connection, False


def _closed_before_data(connection: _Connection, exc: Exception) -> bool:
    """The server closed the connection before this mail's DATA: the mail was not taken."""
    if connection.client.in_data:
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code == 421 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError)


def _envelope(message: EmailMessage) -> tuple[str, list[str]] | None:
    """The sender and recipients of a message that smtplib's `send_message` would send as it
    is, read from the parsed headers (no parsing again); None for one it would change first
    (Bcc to leave out, Resent- headers) or send with SMTPUTF8 (an address not in ASCII)."""
    if any(name in message for name in ("Bcc", "Resent-Date", "Resent-Bcc", "Sender")):
        return None
    sender = message["From"]
    if sender is None or len(sender.addresses) != 1:
        return None
    recipients = [
        address.addr_spec
        for header in (message["To"], message["Cc"])
        if header is not None
        for address in header.addresses
    ]
    addresses = [sender.addresses[0].addr_spec, *recipients]
    if not recipients or not all(address.isascii() for address in addresses):
        return None
    return addresses[0], recipients


class _Flattener(BytesGenerator):
    """`BytesGenerator` as `send_message` makes it (mangling "From " at a line's start, as for
    mbox), writing the same bytes with less work on long bodies: a part's line ends turned
    into CRLF with `str.replace` instead of a line at a time, and the mangling's search of
    the whole payload left out when "From " is nowhere in it (never in base64). A receipt's
    mail is some 300 lines of base64; these were half the time of flattening it."""

    def _write_lines(self, lines: str) -> None:
        if lines:
            if "\r" in lines:
                lines = lines.replace("\r\n", "\n").replace("\r", "\n")
            self.write(lines.replace("\n", self._NL))  # type: ignore[attr-defined]

    def _handle_text(self, msg: Message) -> None:
        mangle = self._mangle_from_  # type: ignore[has-type]
        payload = msg._payload  # type: ignore[attr-defined]
        if mangle and isinstance(payload, str) and "From " not in payload:
            self._mangle_from_ = False  # nothing to mangle
        try:
            super()._handle_text(msg)  # type: ignore[misc]
        finally:
            self._mangle_from_ = mangle

    # BytesGenerator binds its own _handle_text here: the body of a part not text/*.
    _writeBody = _handle_text  # noqa: N815 (the name BytesGenerator dispatches to)


def _flattened(message: EmailMessage) -> bytes:
    """The message as `send_message` flattens it (its own policy, CRLF line ends)."""
    with io.BytesIO() as buffer:
        _Flattener(buffer).flatten(message, linesep="\r\n")
        return buffer.getvalue()


def _send_message(client: smtplib.SMTP, message: EmailMessage) -> None:
    """`client.send_message(message)`, without its copy of the message and its parsing of the
    addresses again (the headers hold them parsed) when it would send the message as it is."""
    envelope = _envelope(message)
    if envelope is None:
        client.send_message(message)
        return
    sender, recipients = envelope
    client.sendmail(sender, recipients, _flattened(message))


def _send_once(connection: _Connection, message: EmailMessage) -> None:
    connection.client.in_data = False
    try:
        _send_message(connection.client, message)
    except BaseException:
        _close(connection)  # whatever state the session is in: afresh for the next mail
        raise
    connection.mails += 1
    connection.last_used = time.monotonic()


def _send_over_kept_connection(url: str, message: EmailMessage) -> None:
    connection, kept = _connection(url)
    try:
        _send_once(connection, message)
        return
    except Exception as exc:
        if not (kept and _closed_before_data(connection, exc)):
            raise
    # The server closed the kept connection as this mail began: once more, on a new one.
    connection, _was_kept = _connection(url, fresh=True)
    _send_once(connection, message)


def send(url: str, message: EmailMessage) -> None:
    """Send one message to the SMTP server of `url` (smtp:// or smtps://)."""
    try:
        _send_over_kept_connection(url, message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _text in exc.recipients.values()})
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentDeliveryError(f"SMTP {codes[0]} recipient refused", codes[0]) from None
        raise TemporaryDeliveryError(f"SMTP {codes[0] if codes else '?'} recipient") from None
    except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as exc:
        # Our own server refuses us: not the recipient's fault, fixed by the operator.
        raise TemporaryDeliveryError(f"SMTP {exc.smtp_code} sender or sign-in refused") from None
    except smtplib.SMTPDataError as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentDeliveryError(
                f"SMTP {exc.smtp_code} message refused", exc.smtp_code
            ) from None
        raise TemporaryDeliveryError(f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPResponseException as exc:
        raise TemporaryDeliveryError(f"SMTP {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        # Refused or dropped connections, timeouts, TLS errors: the server may be back soon.
        _error, detail = outbox.describe_error(exc)
        raise TemporaryDeliveryError(f"{type(exc).__name__} {detail}".strip()) from None
