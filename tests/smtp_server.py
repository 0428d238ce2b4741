"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from email.message import Message

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def wait_for(self, recipient: str, timeout: float = 60.0) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == recipient:
                    return message
            time.sleep(0.2)
        raise AssertionError(f"no mail to {recipient} within {timeout} s")


class _ControllerOnAFreePort(Controller):
    """Listens on the port the kernel picks when binding (port 0): a port chosen beforehand
    and bound later could be taken in between by another worker of the suite running at the
    same time. The port is known once the server is bound, before `start` connects to it."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        async def bind() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = _ControllerOnAFreePort(inbox, hostname="127.0.0.1")
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
