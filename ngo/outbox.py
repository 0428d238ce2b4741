"""Transactional outbox: work for the worker is written in the same commit as the change.

After the commit the message is handed to Celery at once; the beat relay re-sends anything
left behind (broker down, worker crash). Delivery claims a message before running its handler,
so two deliveries of one message send it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from celery import shared_task
from flask import Flask, current_app
from sqlalchemy import JSON, CursorResult, String, inspect, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ngo.extensions import Model, db, listen
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_HANDLERS = "ngo.outbox_handlers"
_ENQUEUED = "outbox_enqueued"
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(120))


def init_app(app: Flask) -> None:
    """The app's handler registry (filled by each domain's init_app) and the session hooks
    that hand committed messages to the broker."""
    app.extensions.setdefault(_HANDLERS, {})
    listen(Session, "after_commit", _dispatch_after_commit)
    listen(Session, "after_rollback", _forget_after_rollback)


def register_handler(app: Flask, kind: str, handler: Handler) -> None:
    """Name the function the worker runs for messages of `kind`; a domain calls it from its
    init_app for each kind it enqueues."""
    handlers: dict[str, Handler] = app.extensions.setdefault(_HANDLERS, {})
    if handlers.get(kind, handler) is not handler:
        raise ValueError(f"outbox kind {kind!r} already has another handler")
    handlers[kind] = handler


def _handlers() -> dict[str, Handler]:
    return current_app.extensions.get(_HANDLERS, {})


def enqueue(kind: str, payload: dict[str, Any], session: Session | None = None) -> OutboxMessage:
    """Add a message to the caller's transaction; payloads carry ids, never personal values."""
    if kind not in _handlers():
        raise ValueError(f"no outbox handler for {kind!r}")
    session = session or db.session()
    message = OutboxMessage(kind=kind, payload=payload)
    session.add(message)
    # Not flushed here: the row goes with the transaction's next flush (at the latest, its
    # commit's), one round fewer for a money movement that writes it last.
    session.info.setdefault(_ENQUEUED, []).append(message)
    return message


def _dispatch_after_commit(session: Session) -> None:
    messages: list[OutboxMessage] = session.info.pop(_ENQUEUED, [])
    # The ids without a query: a committed object keeps its identity though it is expired.
    # A message whose savepoint was rolled back has none, and was never written.
    identities = (inspect(message).identity for message in messages)
    ids = [identity[0] for identity in identities if identity]
    for message_id in ids:
        try:
            deliver_outbox_message_task.delay(message_id)
        except Exception:  # the beat relay picks it up later
            log.warning("outbox message %s not handed to the broker; relay will retry", message_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)


def _claim(message_id: int) -> bool:
    now = utcnow()
    # Committed on its own, before the handler runs: a second delivery must see the claim.
    with transaction():
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                or_(
                    OutboxMessage.claimed_at.is_(None),
                    OutboxMessage.claimed_at < now - CLAIM_LEASE,
                ),
            )
            .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
    # Session.execute is typed as returning a Result; for an UPDATE it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount == 1


def deliver(message_id: int) -> bool:
    """Run the handler of one message unless it was sent or is being sent. True if it ran.

    Three units of work: the claim; the handler's work with the mark that it was sent; and,
    if the handler fails, the release of the claim with the error's name. A handler that must
    keep part of its work although a later part fails (one mail per follower) commits each
    part in a `transaction()` of its own."""
    if not _claim(message_id):
        return False
    try:
        with transaction():
            # The claim just updated the row: only a concurrent delete could make it vanish.
            message = db.session.get_one(OutboxMessage, message_id)
            _handlers()[message.kind](dict(message.payload))
            message.sent_at = utcnow()
            message.last_error = None
    except Exception as exc:
        with transaction():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(claimed_at=None, last_error=type(exc).__name__[:120])
            )
        raise
    return True


def pending_message_ids(older_than: timedelta = timedelta(seconds=0)) -> list[int]:
    cutoff = utcnow() - older_than
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                OutboxMessage.created_at <= cutoff,
            )
            .order_by(OutboxMessage.id)
            .limit(500)
        )
    )


@shared_task(
    name="outbox.deliver",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=MAX_ATTEMPTS,
)
def deliver_outbox_message_task(message_id: int) -> bool:
    return deliver(message_id)


@shared_task(name="outbox.relay")
def relay_outbox_task() -> int:
    ids = pending_message_ids(older_than=timedelta(seconds=10))
    for message_id in ids:
        deliver_outbox_message_task.delay(message_id)
    return len(ids)
