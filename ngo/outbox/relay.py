"""The Celery side: the task that runs one message, the task that runs the messages of one
commit (one publish for all of them), and beat's relay that hands over again what has waited
longer than OUTBOX_SWEEP_AFTER_SECONDS (broker down, a lost task, a worker that died)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from sqlalchemy import func, or_, select

from ngo.extensions import db
from ngo.outbox.delivery import RetryLaterError, deliver
from ngo.outbox.state import OutboxMessage, lease, setting
from ngo.timeutil import utcnow


def pending_message_ids(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    """Messages the relay hands over again: not sent, not dead, not under a live lease, and
    due for longer than `older_than` (the immediate dispatch, or the retry, should have run)."""
    now = utcnow()
    cutoff = now - older_than
    m = OutboxMessage
    return list(
        db.session.scalars(
            select(m.id)
            .where(
                m.sent_at.is_(None),
                m.dead_at.is_(None),
                or_(m.claimed_at.is_(None), m.claimed_at < now - lease()),
                func.coalesce(m.due_at, m.created_at) <= cutoff,
            )
            .order_by(m.id)
            .limit(500)
        )
    )


@shared_task(
    name="outbox.deliver",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
)
def deliver_outbox_message_task(self: Task[Any, Any], message_id: int) -> bool:
    """Runs one message; the row's own record decides what happens (see `deliver`). Acked
    late: a worker that dies mid-run leaves the task to the broker, which hands it out again."""
    try:
        return deliver(message_id)
    except RetryLaterError as later:
        if self.request.is_eager:
            return False  # the relay (or the admin's Retry) runs it again
        try:
            raise self.retry(countdown=later.seconds, exc=RuntimeError(later.error))
        except self.MaxRetriesExceededError:  # pragma: no cover - max_retries is None
            return False


@shared_task(
    name="outbox.deliver_many",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_outbox_messages_task(self: Task[Any, Any], message_ids: list[int]) -> int:
    """The messages one commit wrote (a confirmed gift's receipt and its fee), handed to the
    broker as one task: a publish costs as much as a small handler, and a web request pays
    for each one. Each message runs as `deliver_outbox_message_task` would run it, in order;
    one that must wait (its retry, another worker's lease) is handed over on its own with its
    countdown. One that raises past `deliver` (the database gone) does not stop the others;
    the task then fails and the relay hands the unsent ones over again. Returns how many ran."""
    ran = 0
    unexpected: Exception | None = None
    for message_id in message_ids:
        try:
            ran += deliver(message_id)
        except RetryLaterError as later:
            if not self.request.is_eager:
                deliver_outbox_message_task.apply_async((message_id,), countdown=later.seconds)
        except Exception as exc:  # the others still run; raised below
            unexpected = unexpected or exc
    if unexpected is not None:
        raise unexpected
    return ran


@shared_task(name="outbox.relay")
def relay_outbox_task() -> int:
    age = timedelta(seconds=setting("OUTBOX_SWEEP_AFTER_SECONDS", 60))
    ids = pending_message_ids(older_than=age)
    for message_id in ids:
        deliver_outbox_message_task.delay(message_id)
    return len(ids)
