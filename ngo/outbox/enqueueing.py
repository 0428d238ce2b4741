"""Writing a message with the business change, and handing it to Celery once that commits.

After the commit, once the transaction has ended, the message is handed to Celery at once (the
messages of one commit as one task);
the beat relay (ngo/outbox/relay.py) re-sends whatever has waited longer than
OUTBOX_SWEEP_AFTER_SECONDS (broker down, a lost task, a worker that died).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import inspect
from sqlalchemy.orm import Session, SessionTransaction

from ngo import deferred_writes
from ngo.extensions import db, table_of
from ngo.outbox.publisher import publisher_for
from ngo.outbox.registry import handlers
from ngo.outbox.relay import deliver_outbox_message_task, deliver_outbox_messages_task
from ngo.outbox.state import OutboxMessage
from ngo.timeutil import utcnow
from ngo.unit_of_work import note_write

log = logging.getLogger(__name__)

# In session.info: the messages the transaction wrote, handed to the broker after its commit.
_ENQUEUED = "outbox_committed"
# In session.info: the ids of those committed, handed over once the transaction has ended.
_COMMITTED = "outbox_to_hand_over"


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


_MESSAGES = table_of(OutboxMessage)
# One INSERT for them all (SQLAlchemy's "insertmanyvalues"). Its RETURNING rows come in no
# promised order (SQLite's), so none is asked for: SQLAlchemy would then insert row by row.
# One statement numbers its rows in the order of its VALUES, so sorted ids are that order.
_INSERT_MESSAGES = _MESSAGES.insert().returning(_MESSAGES.c.id)


def enqueue_row(
    kind: str,
    payload: dict[str, Any],
    session: Session | None = None,
    *,
    organisation_id: int | None = None,
) -> int:
    """`enqueue` as one INSERT on the session's connection, for a hot path that builds no
    models (confirming a gift); returns the message's id. Handed to the broker after the
    commit like any other."""
    return enqueue_rows([(kind, payload)], session, organisation_id=organisation_id)[0]


def enqueue_rows(
    messages: Sequence[tuple[str, dict[str, Any]]],
    session: Session | None = None,
    *,
    organisation_id: int | None = None,
) -> list[int]:
    """`enqueue_row` of each (kind, payload), in one INSERT; their ids, in that order."""
    for kind, _payload in messages:
        if kind not in handlers():
            raise ValueError(f"no outbox handler for {kind!r}")
    if not messages:
        return []
    session = session or db.session()
    note_write(session)
    rows = [
        {"kind": kind, "payload": payload, "organisation_id": organisation_id}
        for kind, payload in messages
    ]
    message_ids = sorted(session.connection().execute(_INSERT_MESSAGES, rows).scalars())
    session.info.setdefault(_ENQUEUED, []).extend(message_ids)
    return message_ids


def enqueue_rows_deferred(
    messages: Sequence[tuple[str, dict[str, Any]]],
    session: Session | None = None,
    *,
    organisation_id: int | None = None,
) -> None:
    """`enqueue_rows` as deferred writes (ngo.deferred_writes), for a hot path that needs the
    messages' ids only to hand them over after the commit (confirming a gift): on PostgreSQL
    they go with the transaction's next statement instead of one of their own. Handed to the
    broker after the commit like any other, in the order given."""
    for kind, _payload in messages:
        if kind not in handlers():
            raise ValueError(f"no outbox handler for {kind!r}")
    session = session or db.session()
    owner = session

    def note(message_id: int) -> None:
        owner.info.setdefault(_ENQUEUED, []).append(message_id)

    now = utcnow()
    for kind, payload in messages:
        row = {
            "kind": kind,
            "payload": payload,
            "organisation_id": organisation_id,
            "created_at": now,
            "attempts": 0,
        }
        deferred_writes.defer(session, _INSERT_MESSAGES, row, returned=note)


def dispatch_after_commit(session: Session) -> None:
    """Session hook: the committed transaction's messages are noted for the broker."""
    messages: list[OutboxMessage | int] = session.info.pop(_ENQUEUED, [])
    # The ids without a query: a committed object keeps its identity though it is expired.
    # A message whose savepoint was rolled back has none, and was never written. (A row
    # inserted by enqueue_row is its id; one rolled back with a savepoint is found missing
    # by `deliver`, which then does nothing.)
    ids = session.info.setdefault(_COMMITTED, [])
    for message in messages:
        if isinstance(message, int):
            ids.append(message)
        elif (identity := inspect(message).identity) is not None:
            ids.append(identity[0])


def dispatch_after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Session hook: what the commit wrote goes to the broker once the transaction is over
    and its connection is back in the pool. On SQLite the writers' lock
    (ngo.sqlite_writers) goes with the connection, so the next gift's writer need not wait
    for the broker's answer."""
    if transaction.parent is not None:
        return
    ids: list[int] = session.info.pop(_COMMITTED, [])
    if not ids:
        return
    window_ms = current_app.config.get("OUTBOX_PUBLISH_WINDOW_MS", 0) if has_app_context() else 0
    if window_ms and not current_app.config.get("CELERY_TASK_ALWAYS_EAGER"):
        # A thread of the process publishes the messages of the commits of the next few
        # milliseconds as one task (ngo.outbox.publisher): the request goes on at once.
        publisher_for(publish, window_ms / 1000).hand_over(ids)
        return
    try:
        publish(ids)
    except Exception:  # the beat relay picks them up later
        log.warning("outbox messages %s not handed to the broker; relay will retry", ids)


def publish(ids: list[int]) -> None:
    """Hand the messages to Celery as one task."""
    # One publish for the messages: each costs a broker round trip. The arguments are ids:
    # their repr is the message's `argsrepr` as it is, which Celery would otherwise build with
    # its generic saferepr (a tenth of the publish's CPU).
    args: tuple[int] | tuple[list[int]] = (ids[0],) if len(ids) == 1 else (ids,)
    task = deliver_outbox_message_task if len(ids) == 1 else deliver_outbox_messages_task
    # (Celery passes both on to the message; celery-types does not list them)
    task.apply_async(args, argsrepr=repr(args), kwargsrepr="{}")  # type: ignore[call-arg]


def forget_after_rollback(session: Session) -> None:
    """Session hook: a rolled-back transaction wrote no message."""
    session.info.pop(_ENQUEUED, None)
