"""A lean SMTP sink for benchmarks: it stands for the organisation's mail server.

The receipts benchmark sends every receipt to a local SMTP server on the same two cores as
the workers it measures, so whatever the server spends on a message is billed to the
receipts' side of the ratio. aiosmtpd, the server the tests use, reads a message's data line
by line through asyncio's stream reader and un-stuffs each line: 3 to 9 ms of CPU for a
receipt's 20 kB, a few percent of a receipt, where a production mail server (in C, on
another machine) spends a fraction of a millisecond and nothing of ours. This one speaks the
commands smtplib sends (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and reads the data in
blocks up to the end-of-data line; it keeps only what the check needs. It is not a mail
server: no extensions, no size limit, no authentication. `bench/receipts.py --sink aiosmtpd`
measures with aiosmtpd instead.
"""

from __future__ import annotations

import socket
import threading

END_OF_DATA = b"\r\n.\r\n"


class LeanSink:
    """Counts messages, and those carrying a PDF, on a thread of its own."""

    def __init__(self) -> None:
        self.messages = 0
        self.with_pdf = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.sendall(b"220 sink ready\r\n")
            pending = b""
            while True:
                while b"\r\n" not in pending:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                line, pending = pending.split(b"\r\n", 1)
                verb = line[:4].upper()
                if verb == b"EHLO":
                    connection.sendall(b"250-sink\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    data, pending = self._read_data(connection, pending)
                    if data is None:
                        return
                    with self._lock:
                        self.messages += 1
                        if b"application/pdf" in data:
                            self.with_pdf += 1
                    connection.sendall(b"250 OK\r\n")
                elif verb == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    connection.sendall(b"250 OK\r\n")
                else:
                    connection.sendall(b"502 not implemented\r\n")

    @staticmethod
    def _read_data(connection: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
        """The message up to the end-of-data line, and what came after it."""
        received = b"\r\n" + pending
        while END_OF_DATA not in received:
            chunk = connection.recv(65536)
            if not chunk:
                return None, b""
            received += chunk
        data, rest = received.split(END_OF_DATA, 1)
        return data, rest
