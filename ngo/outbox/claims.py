"""Claims and leases: delivery claims a message before running its handler, so two
deliveries of one message run it once.

A claim is committed on its own before the handler runs, and holds for the lease
(`OUTBOX_LEASE_SECONDS`); a claim whose lease ran out is an attempt whose worker died, and the
message may be taken again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, Row, bindparam, or_, update

from ngo.extensions import db, table_of
from ngo.outbox.state import OutboxMessage, lease, max_attempts
from ngo.timeutil import utcnow
from ngo.unit_of_work import note_write, transaction


@dataclass(frozen=True)
class Claim:
    kind: str
    payload: dict[str, Any]
    # No attempt before this one (never failed, never lost): it can have no steps on record.
    first: bool


def claim(message_id: int) -> Claim | None:
    """The message, if this delivery may run it: the row is claimed and committed."""
    now = utcnow()
    # Committed on its own, before the handler runs: a second delivery must see the claim.
    with transaction():
        claimed = _take(message_id, now)
        # A claim whose lease ran out is an attempt that never finished: its worker died
        # (SIGKILL, the hard time limit, a lost machine). Said so on the admin page, and then
        # the message may be taken. (Looked for only when the claim failed: one statement
        # for the usual delivery.)
        if claimed is None and _release_lost_claim(message_id, now):
            claimed = _take(message_id, now)
    if claimed is None:
        return None
    return Claim(claimed.kind, claimed.payload, claimed.attempts == 1 and not claimed.failed_at)


_MESSAGES = table_of(OutboxMessage)
_NOW = bindparam("now", type_=_MESSAGES.c.claimed_at.type)
# Built once, in Core, and run on the session's connection: every delivery runs it, and
# building it (with its cache key) cost about what running it does, the ORM's handling of an
# UPDATE about as much again.
_TAKE = (
    _MESSAGES.update()
    .where(
        _MESSAGES.c.id == bindparam("message_id"),
        _MESSAGES.c.sent_at.is_(None),
        _MESSAGES.c.dead_at.is_(None),
        _MESSAGES.c.attempts < bindparam("max_attempts", type_=Integer),
        or_(_MESSAGES.c.due_at.is_(None), _MESSAGES.c.due_at <= _NOW),
        _MESSAGES.c.claimed_at.is_(None),
    )
    .values(claimed_at=_NOW, attempts=_MESSAGES.c.attempts + 1)
    # What the handler needs, without reading the row again (RETURNING: PostgreSQL, and
    # SQLite from 3.35).
    .returning(
        _MESSAGES.c.kind,
        _MESSAGES.c.payload,
        _MESSAGES.c.attempts,
        _MESSAGES.c.failed_at,
    )
)


def _take(message_id: int, now: datetime) -> Row[Any] | None:
    session = db.session()
    session.flush()  # as the ORM's UPDATE did first: a message added but not yet written
    note_write(session)
    params = {"message_id": message_id, "max_attempts": max_attempts(), "now": now}
    return session.connection().execute(_TAKE, params).first()


def _release_lost_claim(message_id: int, now: datetime) -> bool:
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
