"""Append-only audit log: a keyed hash chain with signed checkpoints (see ngo/chain.py).

Each event stores who did what to which record, never personal values. Its hash is an HMAC,
under NGO_AUDIT_KEY, of its own fields and the previous event's hash, so altering or deleting a
row breaks the chain at that point, and someone with only the database cannot recompute the
hashes. Sequence numbers are assigned under a lock, so a deleted row also leaves a gap. Cutting
off the newest rows leaves a valid chain; checkpoints (the head's seq and hash, signed with
NGO_AUDIT_SIGNING_KEY, written hourly by beat and by `flask --app ngo audit checkpoint`) catch
that, up to the newest checkpoint, and a copy the operator keeps elsewhere catches it even when
the newest checkpoints were deleted too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol, overload

from celery import shared_task
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import JSON, BigInteger, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ngo import chain
from ngo.chain import GENESIS_HASH, ChainReport, Checkpoint
from ngo.extensions import Model, db
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction

__all__ = ["GENESIS_HASH", "AuditChainError", "AuditCheckpoint", "AuditEvent", "ChainReport"]

log = logging.getLogger(__name__)

CHAIN_NAME = "audit"
# Any constant works; it only has to be the same in every process taking the chain lock.
_CHAIN_LOCK_KEY = 7_331_001


class AuditChainError(RuntimeError):
    """The chain does not follow from the newest checkpoint: no new checkpoint may vouch for it."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.problem)
        self.report = report


def chain_key() -> bytes:
    return chain.hmac_key(str(current_app.config["NGO_AUDIT_KEY"]))


@lru_cache(maxsize=4)
def _signing_key(setting: str) -> Ed25519PrivateKey:
    return chain.load_signing_key(setting, "NGO_AUDIT_SIGNING_KEY")


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(str(current_app.config["NGO_AUDIT_SIGNING_KEY"]))


def public_key() -> str:
    """The key that checks the checkpoints: safe to publish and to keep with a checkpoint copy."""
    return chain.public_key_text(signing_key())


class AuditEvent(Model):
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

    def hashed_fields(self) -> list[object]:
        # The migration that keyed the chain (migrations/versions/*_audit_keyed_chain_*) builds
        # the same list from raw rows; change both or neither.
        return [
            self.seq,
            self.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            self.actor_id,
            self.organisation_id,
            self.action,
            self.object_type,
            self.object_id,
            self.details or {},
        ]

    def compute_hash(self, key: bytes | None = None) -> str:
        return chain.entry_hash(key or chain_key(), self.hashed_fields(), self.prev_hash)


class AuditCheckpoint(Model):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64))

    def as_checkpoint(self) -> Checkpoint:
        return Checkpoint(
            CHAIN_NAME,
            self.seq,
            self.head_hash,
            self.created_at,
            self.signature,
            self.public_key,
            number=self.id,
        )


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
    session = session or db.session()
    _lock_chain(session)
    last = _head(session)
    event = AuditEvent(
        seq=last[0] + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
        prev_hash=last[1],
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    return event


class Subject(Protocol):
    """A record events are about: of one organisation, filed under a kind and an id."""

    organisation_id: int

    @property
    def audit_object(self) -> tuple[str, int]: ...


class Actor(Protocol):
    id: int


def record_change(
    subject: Subject, actor: Actor | None, action: str, **details: object
) -> AuditEvent:
    """Record `action` on `subject` in the caller's transaction: the one helper for an event
    about a record. The record says what it is filed under (`audit_object`: a story's and a
    document's events are the case's, a membership's the user's), so a case's History tab
    shows them all. `actor` None is the operator or the system. `details` hold no personal
    values and no public text (ids, digests, languages, kinds)."""
    kind, object_id = subject.audit_object
    return record(
        action,
        actor_id=actor.id if actor is not None else None,
        organisation_id=subject.organisation_id,
        object_type=kind,
        object_id=object_id,
        details=dict(details),
    )


def _head(session: Session) -> tuple[int, str]:
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS_HASH)


def _events_in_order(
    session: Session, after: int = 0, up_to: int | None = None
) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.seq > after)
    if up_to is not None:
        stmt = stmt.where(AuditEvent.seq <= up_to)
    yield from session.scalars(stmt.order_by(AuditEvent.seq).execution_options(yield_per=1000))


def _walk(
    session: Session, *, after: Checkpoint | None = None, up_to: int | None = None, **kwargs: Any
) -> tuple[ChainReport, dict[int, str]]:
    key = chain_key()
    start_seq, start_hash = (after.seq, after.head_hash) if after else (0, GENESIS_HASH)
    report, seen = chain.walk(
        _events_in_order(session, start_seq, up_to),
        lambda event: event.compute_hash(key),
        start_seq=start_seq + 1,
        start_hash=start_hash,
        **kwargs,
    )
    if report.kind == "altered" and report.broken_at_seq == 1:
        report = replace(
            report,
            problem=f"{report.problem}, or NGO_AUDIT_KEY is not the key the log was written with",
        )
    return report, seen


def _stored_checkpoints(session: Session) -> list[Checkpoint]:
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    return [row.as_checkpoint() for row in rows]


def verify_chain(
    session: Session | None = None, *, external: Checkpoint | None = None
) -> ChainReport:
    """Walk the whole chain with the key, then check every stored checkpoint (and `external`,
    a copy the operator kept) against it; report the first event that cannot be trusted."""
    session = session or db.session()
    checkpoints = _stored_checkpoints(session)
    if external is not None:
        problem = _foreign_checkpoint_problem(external)
        if problem:
            return ChainReport(
                0, 0, GENESIS_HASH, broken_at_seq=external.seq, problem=problem, kind="foreign"
            )
    seqs = {c.seq for c in checkpoints} | ({external.seq} if external else set())
    report, seen = _walk(session, remember=frozenset(seqs))
    if not report.ok:
        return report
    public = signing_key().public_key()
    for group in (checkpoints, [external] if external else []):
        found = chain.check_checkpoints(
            group, public_key=public, head_seq=report.head_seq, hash_at=seen
        )
        if found:
            seq, kind, problem = found
            if kind == "checkpoint_forged" and group is checkpoints:
                problem += ", or NGO_AUDIT_SIGNING_KEY is not the key that signed it"
            return replace(report, broken_at_seq=seq, kind=kind, problem=problem)
    return replace(report, checkpoints_checked=len(checkpoints))


def _foreign_checkpoint_problem(checkpoint: Checkpoint) -> str | None:
    if checkpoint.chain != CHAIN_NAME:
        return f"the given checkpoint is one of the {checkpoint.chain!r} log, not of the audit log"
    if checkpoint.public_key != public_key():
        return (
            f"the given checkpoint was signed by the key {checkpoint.public_key}, "
            f"not by this deployment's key {public_key()} (NGO_AUDIT_SIGNING_KEY)"
        )
    return None


def _hash_at(session: Session, seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))


def newest_checkpoint(session: Session | None = None) -> AuditCheckpoint | None:
    session = session or db.session()
    return session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).first()


@overload
def write_checkpoint(
    session: Session | None = None, *, only_if_moved: Literal[False] = False
) -> AuditCheckpoint: ...
@overload
def write_checkpoint(
    session: Session | None = None, *, only_if_moved: bool
) -> AuditCheckpoint | None: ...
def write_checkpoint(
    session: Session | None = None, *, only_if_moved: bool = False
) -> AuditCheckpoint | None:
    """Sign the current head into a new checkpoint in the caller's transaction.

    Only a head that follows, under the key, from the newest checkpoint is signed (the whole
    chain for the first one): a checkpoint never vouches for a log that was already cut or
    rewritten. Raises AuditChainError otherwise. With `only_if_moved`, returns None when the
    head has not changed since the newest checkpoint.
    """
    session = session or db.session()
    head_seq, head_hash = _head(session)
    previous_row = newest_checkpoint(session)
    previous = previous_row.as_checkpoint() if previous_row else None
    if only_if_moved and previous and (previous.seq, previous.head_hash) == (head_seq, head_hash):
        return None
    key = signing_key()
    if previous is not None:
        stored = _hash_at(session, previous.seq)
        found = chain.check_checkpoints(
            [previous],
            public_key=key.public_key(),
            head_seq=head_seq,
            hash_at={} if stored is None else {previous.seq: stored},
        )
        if found:
            seq, kind, problem = found
            raise AuditChainError(
                ChainReport(0, head_seq, head_hash, broken_at_seq=seq, problem=problem, kind=kind)
            )
    report, _ = _walk(session, after=previous, up_to=head_seq)
    if not report.ok:
        raise AuditChainError(report)
    signed = Checkpoint(CHAIN_NAME, head_seq, head_hash, utcnow()).signed(key)
    row = AuditCheckpoint(
        seq=signed.seq,
        head_hash=signed.head_hash,
        created_at=signed.created_at,
        signature=signed.signature,
        public_key=signed.public_key,
    )
    session.add(row)
    session.flush()
    return row


@shared_task(name="audit.write_checkpoint")
def write_audit_checkpoint_task() -> int | None:
    """Hourly from beat. The checkpoint line also goes to the log, which usually leaves the host:
    one more copy out of reach of someone who can only change the database."""
    try:
        with transaction():
            row = write_checkpoint(only_if_moved=True)
            checkpoint = row.as_checkpoint() if row is not None else None
    except AuditChainError as exc:
        log.error("audit checkpoint refused, run `flask --app ngo audit verify`: %s", exc)
        raise
    if checkpoint is None:
        return None
    log.info("audit checkpoint %s", checkpoint.to_line())
    return checkpoint.seq
