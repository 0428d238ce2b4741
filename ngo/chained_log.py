"""An append-only log stored in the database as a keyed hash chain with signed checkpoints: the
storage side of ngo/chain.py, shared by the audit log and the donations ledger.

A log names its entry and checkpoint models and the settings that hold its keys. Each log has
its own HMAC key, derived from the configured one under the log's name, so that an audit entry
can never pass for a ledger entry.

On PostgreSQL appends are serialised by the log's row in `chain_heads` (its newest seq and
hash), read with SELECT ... FOR UPDATE: one statement both waits for the append before and,
once that append has committed, returns the head it wrote (PostgreSQL hands a waiting locker
the newest version of the row). An advisory lock and a read of the newest entry took two
statements, both inside the appeal's lock while a gift is confirmed. The head's update after
the append is a deferred write (ngo.deferred_writes), sent with the rest of the append. On
SQLite the database's one writer serialises appends, and the head is read from the newest
entry, as before the head rows (one statement, where keeping the row would take two).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import (
    CTE,
    BigInteger,
    Connection,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from ngo import chain, deferred_writes
from ngo.chain import GENESIS_HASH, ChainReport, Checkpoint
from ngo.extensions import Model, db, table_of
from ngo.timeutil import utcnow


class ChainError(RuntimeError):
    """The chain does not follow from the newest checkpoint: no new checkpoint may vouch for it."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.problem)
        self.report = report


class ChainHead(Model):
    """Each log's newest entry, written by every append in the append's transaction."""

    __tablename__ = "chain_heads"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


_HEADS = table_of(ChainHead)
_ADVANCE_HEAD = (
    _HEADS.update()
    .where(_HEADS.c.name == bindparam("of_log"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_NEW_HEAD = {
    "postgresql": postgresql.insert(_HEADS).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_HEADS).on_conflict_do_nothing(),
}
# In the transaction's state (ngo.deferred_writes): the heads this transaction has locked, as
# its own appends have left them, so that a second append asks the database nothing.
_HELD = "ngo.chain_heads_held"
# Built once per log (every append runs them), keyed by the entry model.
_HEAD_STATEMENTS: dict[type[Any], Select[Any]] = {}
# Keyed by dialect, the logs' names in locking order, and the table whose next id is wanted.
_TAKE_HEADS: dict[tuple[str, tuple[str, ...], str | None], Select[Any]] = {}


def _head_statement(entry: type[Any]) -> Select[Any]:
    found = _HEAD_STATEMENTS.get(entry)
    if found is None:
        seq: InstrumentedAttribute[int] = entry.seq
        found = _HEAD_STATEMENTS[entry] = select(seq, entry.hash).order_by(seq.desc()).limit(1)
    return found


def _take_heads_statement(dialect: str, names: tuple[str, ...], id_of: str | None) -> Select[Any]:
    found = _TAKE_HEADS.get((dialect, names, id_of))
    if found is None:
        heads: Select[Any] = select(_HEADS.c.name, _HEADS.c.seq, _HEADS.c.hash)
        found = heads.where(_HEADS.c.name.in_(names))
        if dialect == "postgresql":
            # Locked in the order the rows come back: the order asked for.
            order = case({name: index for index, name in enumerate(names)}, value=_HEADS.c.name)
            found = found.order_by(order).with_for_update()
            if id_of is not None:
                # The id the entry will have, from its table's sequence: the entry and the rows
                # that refer to it can then all be deferred writes. Evaluated once (a scalar
                # subquery), whatever the number of heads.
                next_id = func.nextval(func.pg_get_serial_sequence(id_of, "id"))
                found = found.add_columns(select(next_id).scalar_subquery())
        _TAKE_HEADS[(dialect, names, id_of)] = found
    return found


# In the transaction's state: the id a statement of the caller's took for a log's next entry
# (`heads_taken_with`), which `take_heads` then returns without asking.
_RESERVED = "ngo.chain_next_ids"


def heads_taken_with(
    condition: CTE, logs: Sequence[ChainedLog], *, next_id_of: ChainedLog
) -> tuple[CTE, list[Any]]:
    """For PostgreSQL, `take_heads` as part of a caller's statement that holds `condition`, a
    data-modifying CTE (the claim of a gift): the heads of `logs` are locked, in that order,
    only if `condition` returned a row, and only after it ran (its one-time filter runs
    first), so the lock order of the caller's statements is kept. Returns the CTE to add to
    the statement and its two columns: the heads (JSON) and the next entry's id of
    `next_id_of`, for `note_heads_taken`. The names are bound as `head_names`."""
    ran = exists(select(literal_column("1")).select_from(condition))
    order = case({log.name: index for index, log in enumerate(logs)}, value=_HEADS.c.name)
    heads = (
        select(_HEADS.c.name, _HEADS.c.seq, _HEADS.c.hash)
        .where(_HEADS.c.name.in_(bindparam("head_names", expanding=True)), ran)
        .order_by(order)
        .with_for_update()
        .cte("heads")
    )
    taken = select(func.json_agg(func.json_build_array(heads.c.name, heads.c.seq, heads.c.hash)))
    table = table_of(next_id_of.entry).name
    next_id = select(func.nextval(func.pg_get_serial_sequence(table, "id"))).where(ran)
    return heads, [taken.scalar_subquery(), next_id.scalar_subquery()]


def note_heads_taken(
    connection: Connection, taken: Any, next_id: int | None, *, next_id_of: ChainedLog
) -> None:
    """What the columns of `heads_taken_with` returned: the heads are held for the rest of the
    transaction, and `take_heads` for `next_id_of` returns `next_id` without a statement. A
    head not returned (never written, in a schema made from the models) is left to
    `take_heads`, which makes it."""
    if not taken or next_id is None:
        return
    state = deferred_writes.transaction_state(connection)
    held: dict[str, tuple[int, str]] = state.setdefault(_HELD, {})
    for name, seq, head_hash in taken:
        held.setdefault(str(name), (int(seq), str(head_hash)))
    state.setdefault(_RESERVED, {})[next_id_of.name] = int(next_id)


def take_heads(
    connection: Connection, logs: Sequence[ChainedLog], *, next_id_of: ChainedLog | None = None
) -> int | None:
    """Lock the heads of `logs`, in that order, in one statement, for the rest of the
    transaction (`ChainedLog.take_head` then asks nothing more); the lock order of the logs is
    the ledger's before the audit log's. With `next_id_of`, on PostgreSQL, returns the id the
    next entry of that log will have (None on SQLite, where the entry's INSERT returns it)."""
    held: dict[str, tuple[int, str]] = deferred_writes.transaction_state(connection).setdefault(
        _HELD, {}
    )
    names = tuple(log.name for log in logs if log.name not in held)
    dialect = connection.dialect.name
    if dialect != "postgresql":
        # SQLite's one writer serialises the appends already, and every append is written at
        # once: the newest entry is the head, one statement as before the head rows, which
        # are neither read nor written here.
        for log in logs:
            if log.name in names:
                held[log.name] = log.head_on(connection)
        return None
    id_of = None
    if next_id_of is not None:
        reserved = deferred_writes.transaction_state(connection).get(_RESERVED, {})
        if not names and next_id_of.name in reserved:
            return int(reserved.pop(next_id_of.name))
        id_of = table_of(next_id_of.entry).name
        if not names:  # the heads are held already: the id alone
            names = (next_id_of.name,)
    if not names:
        return None
    statement = _take_heads_statement(dialect, names, id_of)
    rows = connection.execute(statement).all()
    if len(rows) < len(names):
        # A log's first append in a database whose head was never written (a schema made
        # from the models): its head is its newest entry, if any. Two first appends at once
        # both insert it; the second's insert does nothing, and its lock then waits.
        missing = set(names) - {row[0] for row in rows}
        for log in logs:
            if log.name in missing:
                seq, head_hash = log.head_on(connection)
                connection.execute(
                    _NEW_HEAD[dialect], {"name": log.name, "seq": seq, "hash": head_hash}
                )
        rows = connection.execute(statement).all()
    for row in rows:
        held.setdefault(str(row[0]), (int(row[1]), str(row[2])))
    return int(rows[0][3]) if id_of is not None else None


class CheckpointColumns:
    """The columns of a log's checkpoint table, the same for every log: a model mixes it in
    with its own `__tablename__` and names its chain in `CHAIN`."""

    CHAIN: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64))

    def as_checkpoint(self) -> Checkpoint:
        return Checkpoint(
            self.CHAIN,
            self.seq,
            self.head_hash,
            self.created_at,
            self.signature,
            self.public_key,
            number=self.id,
        )


@lru_cache(maxsize=8)
def _log_key(setting_value: str, name: str, derive: bool) -> bytes:
    configured = chain.hmac_key(setting_value)
    if not derive:
        return configured
    return hmac.new(configured, f"ngo-log:{name}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _signing_key(setting_value: str, setting: str) -> Ed25519PrivateKey:
    return chain.load_signing_key(setting_value, setting)


@dataclass(frozen=True)
class ChainedLog:
    name: str
    entry: type[Any]
    checkpoint: type[Any]
    # The audit log was keyed with the setting itself before other logs existed; the others
    # derive their key from it under their own name.
    derive_key: bool = True
    KEY_SETTING: ClassVar[str] = "NGO_AUDIT_KEY"
    SIGNING_SETTING: ClassVar[str] = "NGO_AUDIT_SIGNING_KEY"

    # Keys ------------------------------------------------------------------------------------

    def key(self) -> bytes:
        return _log_key(str(current_app.config[self.KEY_SETTING]), self.name, self.derive_key)

    def signing_key(self) -> Ed25519PrivateKey:
        return _signing_key(str(current_app.config[self.SIGNING_SETTING]), self.SIGNING_SETTING)

    def public_key(self) -> str:
        """The key that checks the checkpoints: safe to publish and to keep with a copy."""
        return chain.public_key_text(self.signing_key())

    # Appending -------------------------------------------------------------------------------

    def take_head(self, connection: Connection) -> tuple[int, str]:
        """The newest entry's seq and hash, locked until the transaction ends: the append
        that follows is the only one. The next entry takes seq + 1 after the hash."""
        held = deferred_writes.transaction_state(connection).get(_HELD, {})
        if self.name not in held:
            take_heads(connection, [self])
            held = deferred_writes.transaction_state(connection)[_HELD]
        seq, head_hash = held[self.name]
        return seq, head_hash

    def advance_head(self, session: Session, seq: int, entry_hash: str) -> None:
        """Record the appended entry as the head: a deferred write, sent with the entry's (on
        PostgreSQL; SQLite reads the head from the entries)."""
        connection = session.connection()
        deferred_writes.transaction_state(connection)[_HELD][self.name] = (seq, entry_hash)
        if connection.dialect.name != "postgresql":
            return
        deferred_writes.defer(
            session,
            _ADVANCE_HEAD,
            {"of_log": self.name, "new_seq": seq, "new_hash": entry_hash},
            target=(ChainHead, self.name),
            # Where the entry may be written, its head may: an audit event in an audited read.
            with_audit_record=True,
        )

    def head(self, session: Session) -> tuple[int, str]:
        return self.head_on(session.connection())

    def head_on(self, connection: Connection) -> tuple[int, str]:
        """The newest entry's seq and hash. Read on the connection, without the ORM: every
        append asks it (an append flushes its entry, so none is ever pending)."""
        last = connection.execute(_head_statement(self.entry)).first()
        return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)

    def append(self, session: Session, entry: Any) -> Any:
        """Give `entry` the next seq and its hash under the head's lock, and add it to the
        session. The caller has set every hashed field except seq and prev_hash."""
        seq, prev = self.take_head(session.connection())
        entry.seq = seq + 1
        entry.prev_hash = prev
        session.add(entry)
        entry.hash = entry.compute_hash(self.key())
        session.flush()
        self.advance_head(session, entry.seq, entry.hash)
        return entry

    # Checking --------------------------------------------------------------------------------

    def entries_in_order(
        self, session: Session, after: int = 0, up_to: int | None = None
    ) -> Iterator[Any]:
        stmt = select(self.entry).where(self.entry.seq > after)
        if up_to is not None:
            stmt = stmt.where(self.entry.seq <= up_to)
        yield from session.scalars(stmt.order_by(self.entry.seq).execution_options(yield_per=1000))

    def walk(
        self,
        session: Session,
        *,
        after: Checkpoint | None = None,
        up_to: int | None = None,
        **kwargs: Any,
    ) -> tuple[ChainReport, dict[int, str]]:
        key = self.key()
        start_seq, start_hash = (after.seq, after.head_hash) if after else (0, GENESIS_HASH)
        report, seen = chain.walk(
            self.entries_in_order(session, start_seq, up_to),
            lambda entry: entry.compute_hash(key),
            start_seq=start_seq + 1,
            start_hash=start_hash,
            **kwargs,
        )
        if report.kind == "altered" and report.broken_at_seq == 1:
            report = replace(
                report,
                problem=f"{report.problem}, or {self.KEY_SETTING} is not the key "
                f"the {self.name} log was written with",
            )
        return report, seen

    def stored_checkpoints(self, session: Session) -> list[Checkpoint]:
        rows = session.scalars(select(self.checkpoint).order_by(self.checkpoint.id))
        return [row.as_checkpoint() for row in rows]

    def verify(
        self, session: Session | None = None, *, external: Checkpoint | None = None
    ) -> ChainReport:
        """Walk the whole chain with the key, then check every stored checkpoint (and
        `external`, a copy the operator kept) against it; report the first entry that cannot
        be trusted."""
        session = session or db.session()
        checkpoints = self.stored_checkpoints(session)
        if external is not None:
            problem = self.foreign_checkpoint_problem(external)
            if problem:
                return ChainReport(
                    0, 0, GENESIS_HASH, broken_at_seq=external.seq, problem=problem, kind="foreign"
                )
        seqs = {c.seq for c in checkpoints} | ({external.seq} if external else set())
        report, seen = self.walk(session, remember=frozenset(seqs))
        if not report.ok:
            return report
        public = self.signing_key().public_key()
        for group in (checkpoints, [external] if external else []):
            found = chain.check_checkpoints(
                group, public_key=public, head_seq=report.head_seq, hash_at=seen
            )
            if found:
                seq, kind, problem = found
                if kind == "checkpoint_forged" and group is checkpoints:
                    problem += f", or {self.SIGNING_SETTING} is not the key that signed it"
                return replace(report, broken_at_seq=seq, kind=kind, problem=problem)
        return replace(report, checkpoints_checked=len(checkpoints))

    def foreign_checkpoint_problem(self, checkpoint: Checkpoint) -> str | None:
        if checkpoint.chain != self.name:
            return (
                f"the given checkpoint is one of the {checkpoint.chain!r} log, "
                f"not of the {self.name} log"
            )
        if checkpoint.public_key != self.public_key():
            return (
                f"the given checkpoint was signed by the key {checkpoint.public_key}, "
                f"not by this deployment's key {self.public_key()} ({self.SIGNING_SETTING})"
            )
        return None

    def hash_at(self, session: Session, seq: int) -> str | None:
        if seq == 0:
            return GENESIS_HASH
        return session.scalar(select(self.entry.hash).where(self.entry.seq == seq))

    def newest_checkpoint(self, session: Session | None = None) -> Any:
        session = session or db.session()
        return session.scalars(
            select(self.checkpoint).order_by(self.checkpoint.id.desc()).limit(1)
        ).first()

    def write_checkpoint(
        self, session: Session | None = None, *, only_if_moved: bool = False
    ) -> Any:
        """Sign the current head into a new checkpoint in the caller's transaction.

        Only a head that follows, under the key, from the newest checkpoint is signed (the whole
        chain for the first one): a checkpoint never vouches for a log that was already cut or
        rewritten. Raises ChainError otherwise. With `only_if_moved`, returns None when the
        head has not changed since the newest checkpoint.
        """
        session = session or db.session()
        head_seq, head_hash = self.head(session)
        previous_row = self.newest_checkpoint(session)
        previous = previous_row.as_checkpoint() if previous_row else None
        if (
            only_if_moved
            and previous
            and (previous.seq, previous.head_hash) == (head_seq, head_hash)
        ):
            return None
        key = self.signing_key()
        if previous is not None:
            stored = self.hash_at(session, previous.seq)
            found = chain.check_checkpoints(
                [previous],
                public_key=key.public_key(),
                head_seq=head_seq,
                hash_at={} if stored is None else {previous.seq: stored},
            )
            if found:
                seq, kind, problem = found
                raise ChainError(
                    ChainReport(
                        0, head_seq, head_hash, broken_at_seq=seq, problem=problem, kind=kind
                    )
                )
        report, _ = self.walk(session, after=previous, up_to=head_seq)
        if not report.ok:
            raise ChainError(report)
        signed = Checkpoint(self.name, head_seq, head_hash, utcnow()).signed(key)
        row = self.checkpoint(
            seq=signed.seq,
            head_hash=signed.head_hash,
            created_at=signed.created_at,
            signature=signed.signature,
            public_key=signed.public_key,
        )
        session.add(row)
        session.flush()
        return row
