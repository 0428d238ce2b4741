"""Writing a message with the business change, and handing it to Celery once that commits.

After the commit the message is handed to Celery at once; the beat relay
(ngo/outbox/relay.py) re-sends whatever has waited longer than OUTBOX_SWEEP_AFTER_SECONDS
(broker down, a lost task, a worker that died).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ngo.extensions import db
from ngo.outbox.registry import handlers
from ngo.outbox.relay import deliver_outbox_message_task
from ngo.outbox.state import OutboxMessage

log = logging.getLogger(__name__)

# In session.info: the messages the transaction wrote, handed to the broker after its commit.
_ENQUEUED = "outbox_committed"


def enqueue(
    kind: str,
    payload: dict[str, Any],
    session: Session | None = None,
    *,
    organisation_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the caller's transaction; payloads carry ids, never personal values.
    `organisation_id` puts the work on that organisation's admin page."""
    if kind not in handlers():
        raise ValueError(f"no outbox handler for {kind!r}")
    session = session or db.session()
    message = OutboxMessage(kind=kind, payload=payload, organisation_id=organisation_id)
    session.add(message)
    # Not flushed here: the row goes with the transaction's next flush (at the latest, its
    # commit's), one round fewer for a money movement that writes it last.
    session.info.setdefault(_ENQUEUED, []).append(message)
    return message


def retry_message(message_id: int) -> OutboxMessage:
    """An admin's Retry: a failed or dead message becomes due now with its attempts counted
    afresh. The caller commits; the commit hands it to the broker."""
    message = db.session.get_one(OutboxMessage, message_id)
    message.dead_at = None
    message.due_at = None
    message.attempts = 0
    db.session.flush()
    db.session.info.setdefault(_ENQUEUED, []).append(message)
    return message


def dispatch_after_commit(session: Session) -> None:
    """Session hook: the committed transaction's messages go to the broker."""
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


def forget_after_rollback(session: Session) -> None:
    """Session hook: a rolled-back transaction wrote no message."""
    session.info.pop(_ENQUEUED, None)
