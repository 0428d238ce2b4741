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

from ngo.extensions import db
from ngo.outbox.state import OutboxMessage, lease, max_attempts
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction


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


_NOW = bindparam("now", type_=OutboxMessage.claimed_at.type)
# Built once: every delivery runs it, and building it (with its cache key) cost a quarter of
# a millisecond, about what running it costs.
_TAKE = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("message_id"),
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.dead_at.is_(None),
        OutboxMessage.attempts < bindparam("max_attempts", type_=Integer),
        or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= _NOW),
        OutboxMessage.claimed_at.is_(None),
    )
    .values(claimed_at=_NOW, attempts=OutboxMessage.attempts + 1)
    # What the handler needs, without reading the row again (RETURNING: PostgreSQL, and
    # SQLite from 3.35).
    .returning(
        OutboxMessage.kind,
        OutboxMessage.payload,
        OutboxMessage.attempts,
        OutboxMessage.failed_at,
    )
    .execution_options(synchronize_session=False)
)


def _take(message_id: int, now: datetime) -> Row[Any] | None:
    return db.session.execute(
        _TAKE, {"message_id": message_id, "max_attempts": max_attempts(), "now": now}
    ).first()


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
