"""Money movements on SQLite queue on the writers' file lock, released when the connection goes
back to the pool."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import Pool

from ngo import sqlite_writers

pytest.importorskip("fcntl")


def _engine(path: Path):
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine.pool, "checkin", sqlite_writers.release)
    event.listen(engine.pool, "close", sqlite_writers.close)
    return engine


def _take(connection) -> bool:
    fairy = connection.connection
    return sqlite_writers.take(fairy.info, connection.engine.url.database)


def test_a_second_writer_waits_until_the_first_connection_is_checked_in(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "money.sqlite")
    order: list[str] = []
    first = engine.connect()
    assert _take(first)
    order.append("first took")

    def second_writer() -> None:
        with engine.connect() as second:
            assert _take(second)
            order.append("second took")

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.05)
    assert order == ["first took"], "the second writer must wait for the first"
    order.append("first returned")
    first.close()  # back to the pool: the lock goes with the check-in
    thread.join(timeout=5)
    assert order == ["first took", "first returned", "second took"]
    engine.dispose()


def test_taking_twice_on_one_connection_does_not_wait_on_itself(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "money.sqlite")
    with engine.connect() as connection:
        assert _take(connection)
        assert _take(connection)
    with engine.connect() as again:
        assert _take(again)  # released at the check-in, taken again at once
    engine.dispose()


def test_a_writer_that_cannot_get_the_lock_in_time_goes_on_to_sqlites_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_writers, "WAIT_LIMIT_SECONDS", 0.05)
    engine = _engine(tmp_path / "money.sqlite")
    with engine.connect() as holder, engine.connect() as late:
        assert _take(holder)
        started = time.monotonic()
        assert not _take(late)
        assert time.monotonic() - started < 2
    engine.dispose()


def test_nothing_to_take_in_memory() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        assert not _take(connection)
        connection.execute(text("SELECT 1"))


def test_the_app_releases_the_lock_when_its_session_commits(app, tmp_path: Path) -> None:
    """The app's own listeners (on every pool) let the lock go at the check-in."""
    assert event.contains(Pool, "checkin", sqlite_writers.release)
    assert event.contains(Pool, "close", sqlite_writers.close)
