"""Append-only, hash-chained audit log.

Each event stores who did what to which record, never personal values. Its hash covers its own
fields and the previous event's hash, so altering or deleting a row breaks the chain at that point.
Sequence numbers are assigned under a lock, so a deleted row also leaves a gap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ngo.extensions import db
from ngo.timeutil import utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same in every process taking the chain lock.
_CHAIN_LOCK_KEY = 7_331_001


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None]
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def compute_hash(self) -> str:
        payload = [
            self.seq,
            self.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            self.actor_id,
            self.organisation_id,
            self.action,
            self.object_type,
            self.object_id,
            self.details or {},
            self.prev_hash,
        ]
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    # SQLite serialises writers itself; the unique seq catches a lost race anywhere else.


def record(
    action: str,
    *,
    actor_id: int | None,
    organisation_id: int | None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction. `details` must hold no personal values."""
    session = session or db.session
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    head_hash: str
    broken_at_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at_seq is None


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    yield from session.scalars(stmt)


def verify_chain(session: Session | None = None) -> ChainReport:
    """Walk the whole chain and report the first event that does not follow from its predecessor."""
    session = session or db.session
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for event in _events_in_order(session):
        if event.seq != expected_seq:
            return ChainReport(
                count,
                expected_prev,
                expected_seq,
                f"event {expected_seq} is missing (next present is {event.seq}): a row was deleted",
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                count,
                expected_prev,
                event.seq,
                f"event {event.seq} does not link to event {event.seq - 1}: "
                "the earlier row was altered or deleted",
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                count,
                expected_prev,
                event.seq,
                f"event {event.seq} was altered after it was written",
            )
        expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    return ChainReport(count, expected_prev)
