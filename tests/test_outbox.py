from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ngo import outbox
from ngo.extensions import db
from ngo.outbox import OutboxMessage

calls: list[dict[str, Any]] = []


def _record_call(payload: dict[str, Any]) -> None:
    calls.append(payload)


def _always_fails(payload: dict[str, Any]) -> None:
    raise ConnectionError("smtp down: contains alice@example.org")


@pytest.fixture(autouse=True)
def _reset_calls(app):
    outbox.register_handler(app, "test.record_call", _record_call)
    outbox.register_handler(app, "test.always_fails", _always_fails)
    calls.clear()


def test_message_is_delivered_after_commit_and_only_once(app):
    message = outbox.enqueue("test.record_call", {"n": 1})
    assert calls == []  # nothing happens before the business transaction commits
    db.session.commit()
    assert calls == [{"n": 1}]
    db.session.refresh(message)
    assert message.sent_at is not None
    assert outbox.deliver(message.id) is False  # a second delivery does nothing
    assert calls == [{"n": 1}]


def test_rolled_back_change_sends_nothing(app):
    outbox.enqueue("test.record_call", {"n": 2})
    db.session.rollback()
    db.session.commit()
    assert calls == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_unknown_kind_is_refused(app):
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue("test.nobody_handles_this", {})


def test_failure_is_recorded_without_its_message_and_retried_by_the_relay(app, caplog):
    message = outbox.enqueue("test.always_fails", {})
    db.session.commit()  # eager delivery fails; the after-commit hook logs and moves on
    db.session.refresh(message)
    assert message.sent_at is None
    assert message.last_error == "ConnectionError"
    assert "alice" not in caplog.text
    assert message.id in outbox.pending_message_ids()


def test_relay_delivers_messages_the_commit_hook_could_not(app):
    # As if the broker was down at commit time: the row exists, nobody was told.
    message = OutboxMessage(kind="test.record_call", payload={"n": 3})
    db.session.add(message)
    db.session.commit()
    assert calls == []
    assert outbox.relay_outbox_task.run() == 0  # too fresh: the commit hook may still be on it
    message.created_at = message.created_at.replace(year=2000)
    db.session.commit()
    assert outbox.relay_outbox_task.run() == 1
    assert calls == [{"n": 3}]
    assert outbox.pending_message_ids() == []
