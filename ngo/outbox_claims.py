"""The statements that claim an outbox message for one delivery (see ngo/outbox.py): each one
UPDATE on the message's row, so that two deliveries cannot both take it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, or_, update

from ngo.extensions import db
from ngo.outbox_state import OutboxMessage, lease, max_attempts


def take(message_id: int, now: datetime) -> Row[Any] | None:
    return db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.dead_at.is_(None),
            OutboxMessage.attempts < max_attempts(),
            or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now),
            OutboxMessage.claimed_at.is_(None),
        )
        .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        # What the handler needs, without reading the row again (RETURNING: PostgreSQL, and
        # SQLite from 3.35).
        .returning(
            OutboxMessage.kind,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.failed_at,
        )
        .execution_options(synchronize_session=False)
    ).first()


def release_lost_claim(message_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.claimed_at < now - lease(),
        )
        .values(
            claimed_at=None,
            failed_at=OutboxMessage.claimed_at,
            last_error="WorkerLost",
            last_error_detail="the attempt did not finish: its worker stopped",
        )
        .execution_options(synchronize_session=False)
    )
    # Session.execute is typed as returning a Result; for an UPDATE it is a CursorResult.
    return cast(CursorResult[Any], result).rowcount == 1


def take_back(message_id: int, attempts: int, now: datetime) -> bool:
    """A claim that a failed handler's rollback took with it (one that was to commit with the
    handler's first unit of work), taken again to record the failure with its attempt counted;
    False if another delivery claimed the message in between (its attempt decides)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.claimed_at.is_(None),
            OutboxMessage.attempts == attempts - 1,
        )
        .values(claimed_at=now, attempts=attempts)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1
