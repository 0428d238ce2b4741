"""The outbox's record of work: delivery once, failures with backoff, dead messages, steps
that a retry does not repeat, leases, the relay's sweep and an admin's retry."""

from __future__ import annotations

import errno
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import task_prerun
from sqlalchemy import func, select

from ngo import mail, outbox
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction
from tests.conftest import sent_mail

calls: list[dict[str, Any]] = []
refusals: list[tuple[dict[str, Any], str]] = []


def _record_call(payload: dict[str, Any]) -> None:
    calls.append(payload)


def _always_fails(payload: dict[str, Any]) -> None:
    raise ConnectionError("smtp down: contains alice@example.org")


def _refused(payload: dict[str, Any]) -> None:
    raise mail.PermanentDeliveryError("SMTP 550 recipient refused", 550)


def _note_refusal(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    refusals.append((payload, failure.safe_message))


def _mails_then_fails_once(payload: dict[str, Any]) -> None:
    mail.send_mail("donor@example.org", "Thank you", "Your gift is confirmed")
    calls.append(payload)
    if len(calls) == 1:
        raise RuntimeError("failed after the mail went out")


def _one_mail(payload: dict[str, Any]) -> None:
    mail.send_mail("donor@example.org", "Thank you", "Your gift is confirmed")


def _three_mails_the_last_fails_once(payload: dict[str, Any]) -> None:
    """As a handler that commits each mail with its own record (the updates to followers)."""
    calls.append(payload)
    for address in ("a@example.org", "b@example.org"):
        with transaction():
            mail.send_mail(address, "News", "An update")
    if len(calls) == 1:
        raise ConnectionError("the third mail's server is down")
    mail.send_mail("c@example.org", "News", "An update")


def _two_mails_in_one_unit(payload: dict[str, Any]) -> None:
    """As a handler that sends several mails without committing between them."""
    calls.append(payload)
    mail.send_mail("a@example.org", "News", "An update")
    mail.send_mail("b@example.org", "News", "An update")


def _mails_in_a_unit_it_rolls_back(payload: dict[str, Any]) -> None:
    """The mail leaves inside a unit of work that the handler itself rolls back and goes on."""
    calls.append(payload)
    try:
        with transaction():
            mail.send_mail("donor@example.org", "Thank you", "Your gift is confirmed")
            raise ValueError("a record after the mail was refused")
    except ValueError:
        pass
    if len(calls) == 1:
        raise RuntimeError("failed later")


@pytest.fixture(autouse=True)
def _handlers(app):
    outbox.register_handler(app, "test.record_call", _record_call)
    outbox.register_handler(app, "test.always_fails", _always_fails)
    outbox.register_handler(app, "test.refused", _refused, on_permanent_failure=_note_refusal)
    outbox.register_handler(app, "test.mails_then_fails_once", _mails_then_fails_once)
    outbox.register_handler(app, "test.one_mail", _one_mail)
    outbox.register_handler(app, "test.three_mails", _three_mails_the_last_fails_once)
    outbox.register_handler(app, "test.rolled_back_mail", _mails_in_a_unit_it_rolls_back)
    outbox.register_handler(app, "test.two_mails", _two_mails_in_one_unit)
    calls.clear()
    refusals.clear()


def _make_due(message: OutboxMessage, seconds_ago: float = 0) -> None:
    message.due_at = utcnow() - timedelta(seconds=seconds_ago)
    db.session.commit()


def test_message_is_delivered_after_commit_and_only_once(app):
    message = outbox.enqueue("test.record_call", {"n": 1}, organisation_id=7)
    assert calls == []  # nothing happens before the business transaction commits
    db.session.commit()
    assert calls == [{"n": 1}]
    db.session.refresh(message)
    assert message.sent_at is not None
    assert outbox.status_of(message) == WorkStatus.SENT
    assert message.organisation_id == 7
    assert outbox.deliver(message.id) is False  # a second delivery does nothing
    assert calls == [{"n": 1}]


def test_rows_enqueued_in_one_statement_keep_their_order_and_are_delivered_after_commit(app):
    first, second = outbox.enqueue_rows(
        [("test.record_call", {"n": 1}), ("test.record_call", {"n": 2})], organisation_id=7
    )
    assert second > first and calls == []
    db.session.commit()
    assert calls == [{"n": 1}, {"n": 2}]
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_([first, second]))
    ).all()
    assert {row.organisation_id for row in rows} == {7}
    assert all(row.sent_at is not None for row in rows)


def test_rows_enqueued_as_deferred_writes_are_delivered_after_commit_in_order(app):
    outbox.enqueue_rows_deferred(
        [("test.record_call", {"n": 1}), ("test.record_call", {"n": 2})], organisation_id=7
    )
    assert calls == []
    db.session.commit()
    assert calls == [{"n": 1}, {"n": 2}]
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.organisation_id for row in rows} == {7}
    assert all(row.sent_at is not None for row in rows)


def test_rows_enqueued_as_deferred_writes_and_rolled_back_are_never_delivered(app):
    outbox.enqueue_rows_deferred([("test.record_call", {"n": 1})])
    db.session.rollback()
    db.session.commit()
    assert calls == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue_rows_deferred([("test.nobody_handles", {})])


def test_a_kind_without_a_handler_enqueues_nothing(app):
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue_rows([("test.record_call", {"n": 1}), ("test.nobody_handles", {})])
    db.session.commit()
    assert calls == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_messages_of_one_commit_go_as_one_task_and_a_failure_stops_no_other(app):
    started: list[str] = []

    def note(sender: Any = None, **_: Any) -> None:
        started.append(sender.name)

    task_prerun.connect(note, weak=False)
    try:
        failing = outbox.enqueue("test.always_fails", {"n": 1})
        after = outbox.enqueue("test.record_call", {"n": 2})
        db.session.commit()
    finally:
        task_prerun.disconnect(note)
    assert started == ["outbox.deliver_many"]  # one hand-over, one publish
    assert calls == [{"n": 2}]  # ran though the message before it failed
    db.session.refresh(failing)
    db.session.refresh(after)
    assert outbox.status_of(failing) == WorkStatus.FAILED and failing.due_at is not None
    assert outbox.status_of(after) == WorkStatus.SENT

    started.clear()
    task_prerun.connect(note, weak=False)
    try:
        outbox.enqueue("test.record_call", {"n": 3})
        db.session.commit()
    finally:
        task_prerun.disconnect(note)
    assert started == ["outbox.deliver"]
    assert calls == [{"n": 2}, {"n": 3}]


def test_rolled_back_change_sends_nothing(app):
    outbox.enqueue("test.record_call", {"n": 2})
    db.session.rollback()
    db.session.commit()
    assert calls == []
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_unknown_kind_is_refused(app):
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue("test.nobody_handles_this", {})


def test_a_failure_is_recorded_without_its_text_and_tried_again_when_due(app, caplog):
    message = outbox.enqueue("test.always_fails", {})
    db.session.commit()  # eager delivery fails; the failure is recorded, nothing raised
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.FAILED
    assert message.sent_at is None and message.dead_at is None
    assert (message.last_error, message.last_error_detail) == ("ConnectionError", "")
    assert "alice" not in caplog.text
    assert message.due_at > utcnow()  # the backoff: not before its next attempt time
    assert outbox.deliver(message.id) is False  # an early delivery does nothing
    assert message.id not in outbox.pending_message_ids()

    _make_due(message, seconds_ago=61)
    assert outbox.pending_message_ids(older_than=timedelta(seconds=60)) == [message.id]
    with pytest.raises(outbox.RetryLaterError) as retry:
        outbox.deliver(message.id)
    db.session.refresh(message)
    assert message.attempts == 2
    assert retry.value.seconds > 0 and retry.value.error == "ConnectionError"


def test_the_backoff_doubles_up_to_the_cap_with_jitter(app):
    app.config.update(OUTBOX_RETRY_BASE_SECONDS=10, OUTBOX_RETRY_MAX_SECONDS=100)
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = [outbox.retry_delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered, not the same every time


def test_a_permanent_failure_is_dead_at_once_and_noted_by_the_domain(app):
    message = outbox.enqueue("test.refused", {"donation_id": 5})
    db.session.commit()
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.DEAD
    assert message.attempts == 1
    assert (message.last_error, message.last_error_detail) == (
        "PermanentDeliveryError",
        "SMTP 550 recipient refused",
    )
    assert refusals == [({"donation_id": 5}, "SMTP 550 recipient refused")]
    message.created_at = message.created_at.replace(year=2000)
    db.session.commit()
    assert outbox.pending_message_ids() == []  # never retried silently
    assert outbox.deliver(message.id) is False


def test_the_last_attempt_leaves_the_message_dead(app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    message = outbox.enqueue("test.always_fails", {})
    db.session.commit()
    _make_due(message)
    assert outbox.deliver(message.id) is False  # the second and last attempt: dead, no retry
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.DEAD
    assert message.attempts == 2


def test_a_mail_sent_before_the_handler_failed_is_not_sent_again(app):
    message = outbox.enqueue("test.mails_then_fails_once", {"donation_id": 1})
    db.session.commit()  # first attempt: the mail leaves, then the handler raises
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.FAILED
    assert len(sent_mail(app)) == 1
    _make_due(message)
    assert outbox.deliver(message.id) is True
    assert len(calls) == 2  # the handler ran twice ...
    assert len(sent_mail(app)) == 1  # ... and the donor has one mail
    steps = db.session.scalars(select(outbox.OutboxStep.key)).all()
    assert len(steps) == 1 and "donor" not in steps[0]  # a keyed hash, not the address


def _recipients(app) -> list[str]:
    return sorted(str(message["To"]) for message in sent_mail(app))


def test_the_last_mail_commits_with_the_mark_that_the_message_was_sent(app):
    """Two commits: the claim, then the handler's work with its mail's step and the mark."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    message = outbox.enqueue("test.one_mail", {"n": 1})
    db.session.flush()
    db.session.info.pop("outbox_committed")  # delivered by hand below, not on commit
    db.session.commit()
    commits: list[Session] = []

    def count(session: Session) -> None:
        commits.append(session)

    event.listen(Session, "after_commit", count)
    try:
        assert outbox.deliver(message.id) is True
    finally:
        event.remove(Session, "after_commit", count)
    assert len(commits) == 2
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.SENT
    assert _recipients(app) == ["donor@example.org"]
    assert len(db.session.scalars(select(outbox.OutboxStep.id)).all()) == 1


def test_a_mail_is_on_record_before_the_next_one_leaves(app, monkeypatch):
    """A handler that sends two mails in one unit: the first one's step commits before the
    second leaves (a worker lost while sending it must not send the first again)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    message = outbox.enqueue("test.two_mails", {"n": 1})
    db.session.flush()
    db.session.info.pop("outbox_committed")  # delivered by hand below, not on commit
    db.session.commit()
    commits: list[str] = []
    write = mail._write_to_folder

    def write_noting_commits(folder: Any, mail_message: Any) -> None:
        commits.append(f"{mail_message['To']} leaves")
        write(folder, mail_message)

    def count(_session: Session) -> None:
        commits.append("commit")

    monkeypatch.setattr(mail, "_write_to_folder", write_noting_commits)
    event.listen(Session, "after_commit", count)
    try:
        assert outbox.deliver(message.id) is True
    finally:
        event.remove(Session, "after_commit", count)
    # the claim; a's mail; a's step on record; b's mail; b's step with the mark of sent
    assert commits == [
        "commit",
        "a@example.org leaves",
        "commit",
        "b@example.org leaves",
        "commit",
    ]
    assert _recipients(app) == ["a@example.org", "b@example.org"]
    assert len(db.session.scalars(select(outbox.OutboxStep.id)).all()) == 2


def test_mails_a_handler_committed_are_skipped_by_the_retry_after_a_later_failure(app):
    message = outbox.enqueue("test.three_mails", {"n": 1})
    db.session.commit()  # first attempt: a and b leave, then the handler fails
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.FAILED
    assert _recipients(app) == ["a@example.org", "b@example.org"]
    _make_due(message)
    assert outbox.deliver(message.id) is True
    assert _recipients(app) == ["a@example.org", "b@example.org", "c@example.org"]
    assert len(db.session.scalars(select(outbox.OutboxStep.id)).all()) == 3


def test_a_mail_in_a_unit_the_handler_rolled_back_is_still_on_record(app):
    message = outbox.enqueue("test.rolled_back_mail", {"n": 1})
    db.session.commit()  # first attempt: the mail leaves, its unit rolls back, then a failure
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.FAILED
    _make_due(message)
    assert outbox.deliver(message.id) is True
    assert len(calls) == 2
    assert _recipients(app) == ["donor@example.org"]  # one mail, not two


def test_a_live_lease_defers_and_an_expired_one_is_taken_over(app):
    message = OutboxMessage(kind="test.record_call", payload={"n": 4}, claimed_at=utcnow())
    db.session.add(message)
    db.session.commit()
    assert outbox.status_of(message) == WorkStatus.RUNNING
    with pytest.raises(outbox.RetryLaterError) as retry:
        outbox.deliver(message.id)  # another worker may still run it: look again later
    assert 0 < retry.value.seconds <= 301
    assert calls == []
    message.claimed_at = utcnow() - timedelta(seconds=301)  # that worker died
    db.session.commit()
    assert outbox.status_of(message) == WorkStatus.QUEUED
    assert outbox.deliver(message.id) is True
    assert calls == [{"n": 4}]
    db.session.refresh(message)
    assert (message.last_error, message.attempts) == ("WorkerLost", 1)


def test_relay_sweeps_only_messages_older_than_a_minute(app):
    # As if the broker was down at commit time: the row exists, nobody was told.
    message = OutboxMessage(kind="test.record_call", payload={"n": 3})
    db.session.add(message)
    db.session.commit()
    assert outbox.relay_outbox_task.run() == 0  # too fresh: the commit hook may still be on it
    message.created_at = utcnow() - timedelta(seconds=50)
    db.session.commit()
    assert outbox.relay_outbox_task.run() == 0
    message.created_at = utcnow() - timedelta(seconds=61)
    db.session.commit()
    assert outbox.relay_outbox_task.run() == 1
    assert calls == [{"n": 3}]
    assert outbox.pending_message_ids() == []


def test_retry_makes_a_dead_message_due_with_fresh_attempts(app, monkeypatch):
    message = outbox.enqueue("test.refused", {"donation_id": 6})
    db.session.commit()
    # The cause is fixed (the donor corrected the address): the handler succeeds now.
    monkeypatch.setitem(app.extensions["ngo.outbox_handlers"], "test.refused", _record_call)
    outbox.retry_message(message.id)
    db.session.commit()  # the commit hands it over again
    db.session.refresh(message)
    assert outbox.status_of(message) == WorkStatus.SENT
    assert message.attempts == 1
    assert calls == [{"donation_id": 6}]


@pytest.mark.parametrize(
    ("error", "described"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused alice@example.org"), "ECONNREFUSED"),
        (smtplib.SMTPDataError(451, b"try later, bob@example.org"), "SMTP 451"),
        (TimeoutError(), "timed out"),
        (KeyError("alice@example.org"), ""),
        (mail.TemporaryDeliveryError("SMTP 421"), "SMTP 421"),
    ],
)
def test_errors_are_described_without_their_text(error, described):
    assert outbox.describe_error(error) == (type(error).__name__, described)
