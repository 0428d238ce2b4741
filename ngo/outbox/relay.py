"""The Celery side: the task that runs one message, and beat's relay that hands over again
what has waited longer than OUTBOX_SWEEP_AFTER_SECONDS (broker down, a lost task, a worker
that died)."""

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


@shared_task(name="outbox.relay")
def relay_outbox_task() -> int:
    age = timedelta(seconds=setting("OUTBOX_SWEEP_AFTER_SECONDS", 60))
    ids = pending_message_ids(older_than=age)
    for message_id in ids:
        deliver_outbox_message_task.delay(message_id)
    return len(ids)
