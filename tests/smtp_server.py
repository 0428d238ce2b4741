"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

It can refuse chosen recipients (a 5xx or 4xx reply to RCPT), hold the next connection at RCPT
until released (a handler that is "in the middle of sending", for the fault tests), speak
STARTTLS or TLS with a self-signed certificate, and require a sign-in.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.messages: list[Message] = []
        # recipient -> the reply to its RCPT, e.g. "550 5.1.1 No such user"
        self.refuse: dict[str, str] = dict(refuse or {})
        self.held = threading.Event()  # set while a connection waits at RCPT
        self._holding = threading.Event()

    def hold_next(self) -> None:
        """The next RCPT waits (its client "in the middle of sending") until `release()`."""
        self.held.clear()
        self._holding.set()

    def release(self) -> None:
        self._holding.clear()

    async def handle_RCPT(  # noqa: N802
        self, server: object, session: object, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if self._holding.is_set():
            self.held.set()
            while self._holding.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def to(self, recipient: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == recipient]

    def wait_for(self, recipient: str, timeout: float = 60.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == recipient:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no mail to {recipient} within {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files; point SSL_CERT_FILE at the
    certificate and Python's default context trusts it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def password_check(user: str, password: str) -> Callable[..., AuthResult]:
    def authenticate(server: object, session: object, envelope: object, mechanism: str, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


class _ListensWhereAsked(Controller):
    """With port 0, listens on the port the kernel picks when binding: a port chosen before and
    bound later (`free_port`) could be taken in between by a test on another pytest-xdist
    worker. The port is known once bound, before `start` connects to it."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        if self.port:
            return super()._create_server()

        async def bind() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@contextmanager
def smtp_server(
    inbox: Inbox | None = None, port: int | None = None, **server_options: Any
) -> Iterator[tuple[Inbox, int]]:
    """A server until the block ends, on `port` (where a worker already tries to send) or on a
    port of the kernel's choice. `server_options` go to aiosmtpd: tls_context and
    require_starttls (STARTTLS), ssl_context (TLS from the start), authenticator."""
    inbox = inbox or Inbox()
    controller = _ListensWhereAsked(inbox, hostname="127.0.0.1", port=port or 0, **server_options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        inbox.release()
        controller.stop()
