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
from datetime import datetime
from typing import Any, Literal, Protocol, overload

from celery import shared_task
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ngo import chain, deferred_writes, unit_of_work
from ngo.chain import GENESIS_HASH, ChainReport, Checkpoint
from ngo.chained_log import ChainedLog, ChainError, CheckpointColumns
from ngo.extensions import Model, db, table_of
from ngo.timeutil import utcnow

__all__ = ["GENESIS_HASH", "AuditChainError", "AuditCheckpoint", "AuditEvent", "ChainReport"]

log = logging.getLogger(__name__)

CHAIN_NAME = "audit"


AuditChainError = ChainError


def chain_key() -> bytes:
    return AUDIT_LOG.key()


def signing_key() -> Ed25519PrivateKey:
    return AUDIT_LOG.signing_key()


def public_key() -> str:
    """The key that checks the checkpoints: safe to publish and to keep with a checkpoint copy."""
    return AUDIT_LOG.public_key()


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
        return hashed_fields(
            self.seq,
            self.occurred_at,
            self.actor_id,
            self.organisation_id,
            self.action,
            self.object_type,
            self.object_id,
            self.details,
        )

    def compute_hash(self, key: bytes | None = None) -> str:
        return chain.entry_hash(key or chain_key(), self.hashed_fields(), self.prev_hash)


def hashed_fields(
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    organisation_id: int | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    details: dict[str, Any] | None,
) -> list[object]:
    """What an event's hash covers, from its values: the model's and `record_row`'s.
    The migration that keyed the chain (migrations/versions/*_audit_keyed_chain_*) builds the
    same list from raw rows; change both or neither."""
    return [
        seq,
        occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        actor_id,
        organisation_id,
        action,
        object_type,
        object_id,
        details or {},
    ]


class AuditCheckpoint(CheckpointColumns, Model):
    __tablename__ = "audit_checkpoints"
    CHAIN = CHAIN_NAME


AUDIT_LOG = ChainedLog(CHAIN_NAME, AuditEvent, AuditCheckpoint, derive_key=False)


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
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor_id,
        organisation_id=organisation_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    return AUDIT_LOG.append(session, event)


_INSERT_EVENT = table_of(AuditEvent).insert()


def record_row(
    action: str,
    *,
    actor_id: int | None,
    organisation_id: int | None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> int:
    """`record` for a hot path (a webhook confirming a gift): the same event, chained and
    hashed the same way, without building a model and flushing it; returns its seq. The
    event and the chain's new head are deferred writes (ngo.deferred_writes), sent with
    whatever the caller runs next or with the commit. Nothing is left in the session to
    flush. `details` must hold no personal values."""
    session = session or db.session()
    unit_of_work.note_write(session)
    seq, prev = AUDIT_LOG.take_head(session.connection())
    values: dict[str, Any] = {
        "seq": seq + 1,
        "occurred_at": utcnow(),
        "actor_id": actor_id,
        "organisation_id": organisation_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": details or {},
    }
    fields = hashed_fields(**values)
    entry_hash = chain.entry_hash(AUDIT_LOG.key(), fields, prev)
    deferred_writes.defer(session, _INSERT_EVENT, {**values, "prev_hash": prev, "hash": entry_hash})
    AUDIT_LOG.advance_head(session, seq + 1, entry_hash)
    return seq + 1


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


def record_change_row(subject: Subject, actor: Actor | None, action: str, **details: object) -> int:
    """`record_change` written by `record_row`: the same event, for a hot path (a webhook's
    gift) that writes by Core statements and leaves nothing to flush."""
    kind, object_id = subject.audit_object
    return record_row(
        action,
        actor_id=actor.id if actor is not None else None,
        organisation_id=subject.organisation_id,
        object_type=kind,
        object_id=object_id,
        details=dict(details),
    )


def verify_chain(
    session: Session | None = None, *, external: Checkpoint | None = None
) -> ChainReport:
    """Walk the whole chain with the key, then check every stored checkpoint (and `external`,
    a copy the operator kept) against it; report the first event that cannot be trusted."""
    return AUDIT_LOG.verify(session, external=external)


def newest_checkpoint(session: Session | None = None) -> AuditCheckpoint | None:
    return AUDIT_LOG.newest_checkpoint(session)


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
    """Sign the current head into a new checkpoint (see ChainedLog.write_checkpoint); raises
    AuditChainError when the chain does not follow from the newest checkpoint."""
    return AUDIT_LOG.write_checkpoint(session, only_if_moved=only_if_moved)


@shared_task(name="audit.write_checkpoint")
def write_audit_checkpoint_task() -> int | None:
    """Hourly from beat. The checkpoint line also goes to the log, which usually leaves the host:
    one more copy out of reach of someone who can only change the database."""
    try:
        with unit_of_work.transaction():
            row = write_checkpoint(only_if_moved=True)
            checkpoint = row.as_checkpoint() if row is not None else None
    except AuditChainError as exc:
        log.error("audit checkpoint refused, run `flask --app ngo audit verify`: %s", exc)
        raise
    if checkpoint is None:
        return None
    log.info("audit checkpoint %s", checkpoint.to_line())
    return checkpoint.seq
