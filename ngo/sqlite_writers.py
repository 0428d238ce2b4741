"""On SQLite, money movements queue for the write lock on a file lock beside the database.

SQLite answers a writer that finds the database locked by sleeping and retrying (its busy
handler waits 1, 2, 5, 10, 15... ms between tries), so under steady load a web worker sleeps
on for milliseconds after the lock came free, and confirmed gifts per second halve. Before
`BEGIN IMMEDIATE` a connection takes an exclusive `flock` on `<database>-writers`, held until
the connection goes back to the pool (after its commit or rollback): the next writer waits
in short, even steps instead of SQLite's growing ones. SQLite's own lock stays what keeps the
data right; the file lock only orders those who asked for it, and a writer that cannot get
it within the busy timeout goes on to SQLite's lock as before. Each connection opens the file
itself, so two threads of one process exclude each other too (a lock belongs to the open
file). No library does this for SQLAlchemy; it is a few lines of `fcntl`.
"""

from __future__ import annotations

import os
import time
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone, as before
    fcntl = None  # type: ignore[assignment]

_FD = "ngo_writers_fd"
_HELD = "ngo_writers_held"
WAIT_STEP_SECONDS = 0.0002
WAIT_LIMIT_SECONDS = 10.0  # the connection's busy_timeout: after it, SQLite's lock decides


def take(connection_info: dict[str, Any], database: str | None) -> bool:
    """Take the writers' lock for this connection; False where there is none to take (an
    in-memory database, no fcntl) or it stayed busy past the limit."""
    if fcntl is None or not database or database == ":memory:":
        return False
    if connection_info.get(_HELD):
        return True
    fd = connection_info.get(_FD)
    if fd is None:
        fd = os.open(f"{database}-writers", os.O_RDWR | os.O_CREAT, 0o600)
        connection_info[_FD] = fd
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(WAIT_STEP_SECONDS)
            continue
        connection_info[_HELD] = True
        return True


def release(_dbapi_connection: Any, connection_record: Any) -> None:
    """Pool `checkin`: the transaction is over, the next writer may go."""
    info = connection_record.info
    if info.pop(_HELD, False) and fcntl is not None:
        fcntl.flock(info[_FD], fcntl.LOCK_UN)


def close(_dbapi_connection: Any, connection_record: Any) -> None:
    """Pool `close`: the connection's file goes with it (and so does its lock)."""
    info = connection_record.info
    info.pop(_HELD, None)
    fd = info.pop(_FD, None)
    if fd is not None:
        os.close(fd)
