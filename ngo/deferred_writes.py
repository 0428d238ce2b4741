"""Writes whose results nobody reads, sent to PostgreSQL together.

Confirming a gift writes some ten rows that nothing in its transaction reads back (the ledger's
entry and its lines, the chain's head, the counters, the payment rows, the audit event), all
while the appeal's row lock is held, so every other gift to that appeal waits for each round
trip. `defer` queues such a write on the session's connection; the queue is sent as one
statement, each write a data-modifying CTE of it, before the next statement of any kind runs on
that connection (a read, a flush, a savepoint) and before the commit. Whatever runs next
therefore finds the rows as if they had been written one by one; only an error in a queued
write is raised by the statement that sends the queue, in the same transaction.

A write may ask for what its RETURNING clause returns (the id of a row it inserts, needed
only after the commit): the statement that sends the queue returns it, and the write's
`returned` is called with it then.

On SQLite, which has no data-modifying CTEs and no round trips, `defer` executes at once.

The writes of one statement all see the database as it was before it, and PostgreSQL applies
only one of two changes made to one row in one statement. So a write names the row it changes
(`target`) whenever another write of the transaction may touch that row too (an UPDATE always
does; an INSERT whose row is updated later does): a second write to a target in the queue
sends the queue first.

A core module: it knows the session and SQLAlchemy's events, and no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Insert,
    Select,
    Update,
    bindparam,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from sqlalchemy.sql import visitors

from ngo import unit_of_work
from ngo.extensions import listen

_QUEUE = "ngo.deferred_writes"
_STATE = "ngo.transaction_state"
# Combined statements by the shape of the queue (its statements and their parameters' names),
# so that SQLAlchemy's compiled cache finds them again: a gift's queue has the same shape
# every time.
_COMBINED: dict[tuple[Any, ...], Select[Any]] = {}
_COMBINED_LIMIT = 512

Write = Insert | Update


# Given what a write's RETURNING clause returned (its one row's first column), once it is sent.
Returned = Callable[[Any], None]


@dataclass
class _Queue:
    writes: list[tuple[Write, dict[str, Any]]] = field(default_factory=list)
    targets: set[Hashable] = field(default_factory=set)
    # By the write's place in `writes`: who is given what it returned.
    returned: dict[int, Returned] = field(default_factory=dict)


def init_app() -> None:
    """Install the hooks that send a connection's queue before its next statement and its
    commit, and drop it with a rollback. Idempotent (SQLAlchemy keeps one listener)."""
    _cache_long_statements_in_psycopg()
    listen(Engine, "before_execute", _send_before_statement)
    listen(Engine, "commit", _before_commit)
    listen(Engine, "rollback", _drop_queued)
    listen(Engine, "rollback_savepoint", _drop_after_savepoint)
    listen(Pool, "reset", _drop_on_reset)


def _cache_long_statements_in_psycopg() -> None:
    """psycopg turns a statement's %(name)s placeholders into PostgreSQL's $1 once per text,
    but keeps the result only for texts under 4,096 characters and 50 parameters. A gift's
    deferred writes are one statement of some 7,000 characters and 80 parameters, the same
    text every time, and converting it anew took a fifth of its cost in the web process. The
    limits are module constants read on every call (psycopg 3.1 to 3.3), with no setting
    for them; the cache itself stays bounded (128 texts)."""
    try:
        from psycopg import _queries
    except ImportError:  # no PostgreSQL driver installed
        return
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 200)


def transaction_state(connection: Connection) -> dict[str, Any]:
    """A dict on the connection that lasts until its transaction ends (a commit, a rollback,
    or a rollback to a savepoint, after which what was noted may no longer hold): what a
    module remembers of what it did in this transaction (the chain heads it locked)."""
    state: dict[str, Any] = connection.info.setdefault(_STATE, {})
    return state


def defer(
    session: Session,
    statement: Write,
    params: Mapping[str, Any],
    *,
    target: Hashable | None = None,
    with_audit_record: bool = False,
    returned: Returned | None = None,
) -> None:
    """Write `statement` with `params` before anything else is asked of the database in this
    transaction (at once on SQLite). `statement` is a module-level INSERT or UPDATE whose
    values are bind parameters (an INSERT: the columns named by `params`); `target` names the
    row it changes or makes, if another write may touch it (see above). `with_audit_record`:
    see `unit_of_work.note_write`. `returned`: for a statement with a RETURNING clause that
    writes one row (an id the caller needs only after the commit), called with that row's
    first value once the write is sent, never if it is dropped."""
    unit_of_work.note_write(session, with_audit_record=with_audit_record)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        result = connection.execute(statement, dict(params))
        if returned is not None:
            returned(result.scalar_one())
        return
    queue = connection.info.get(_QUEUE)
    if queue is None:
        queue = connection.info[_QUEUE] = _Queue()
    elif target is not None and target in queue.targets:
        send_queued(connection)
        queue = connection.info[_QUEUE] = _Queue()
    if returned is not None:
        queue.returned[len(queue.writes)] = returned
    queue.writes.append((statement, dict(params)))
    if target is not None:
        queue.targets.add(target)


def defer_rows(
    session: Session,
    statement: Write,
    rows: list[dict[str, Any]],
    targets: list[Hashable] | None = None,
) -> None:
    """`defer` of `statement` for each of `rows` (one executemany on SQLite); an UPDATE
    names the row each changes in `targets`."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        unit_of_work.note_write(session)
        connection.execute(statement, rows)
        return
    for row, target in zip(rows, targets or [None] * len(rows), strict=True):
        defer(session, statement, row, target=target)


def send_queued(connection: Connection) -> None:
    """Send the connection's queue now, as one statement (the commit hook and `defer` call
    it; anything that reads calls it by running a statement)."""
    queue: _Queue | None = connection.info.pop(_QUEUE, None)
    if queue is None or not queue.writes:
        return
    shape: tuple[Any, ...] = (
        *((statement, tuple(params)) for statement, params in queue.writes),
        tuple(sorted(queue.returned)),
    )
    combined = _COMBINED.get(shape)
    if combined is None:
        combined = _combine(shape)
        if len(_COMBINED) >= _COMBINED_LIMIT:
            _COMBINED.clear()
        _COMBINED[shape] = combined
    values = {
        f"w{slot}_{name}": value
        for slot, (_statement, params) in enumerate(queue.writes)
        for name, value in params.items()
    }
    row = connection.execute(combined, values).one()
    for column, slot in enumerate(sorted(queue.returned), start=1):
        queue.returned[slot](row[column])


def queued(connection: Connection) -> int:
    """How many writes wait on the connection (for tests and the benchmark)."""
    queue: _Queue | None = connection.info.get(_QUEUE)
    return len(queue.writes) if queue else 0


def _combine(shape: tuple[Any, ...]) -> Select[Any]:
    *writes, returning = shape
    ctes = []
    for slot, (statement, names) in enumerate(writes):
        if isinstance(statement, Insert):
            columns = statement.table.c
            statement = statement.values(
                {name: bindparam(name, type_=columns[name].type) for name in names}
            )
        ctes.append(_with_prefixed_binds(statement, f"w{slot}_").cte(f"w{slot}"))
    # What the writes that return something returned, a column each, after a first "1".
    returned = [select(next(iter(ctes[slot].c))).scalar_subquery() for slot in returning]
    return select(literal_column("1"), *returned).add_cte(*ctes)


def _with_prefixed_binds(statement: Write, prefix: str) -> Any:
    def renamed(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter):
            return bindparam(prefix + str(element.key), type_=element.type)
        return None

    traversible: visitors.ExternallyTraversible = statement
    return visitors.replacement_traverse(traversible, {}, renamed)


def _send_before_statement(
    connection: Connection, clauseelement: Any, multiparams: Any, params: Any, options: Any
) -> None:
    if _QUEUE in connection.info:
        send_queued(connection)


def _before_commit(connection: Connection) -> None:
    send_queued(connection)
    connection.info.pop(_STATE, None)


def _drop_queued(connection: Connection) -> None:
    connection.info.pop(_QUEUE, None)
    connection.info.pop(_STATE, None)


def _drop_after_savepoint(connection: Connection, name: str, context: Any) -> None:
    # ROLLBACK TO SAVEPOINT is a statement: the queue went before it, and was rolled back.
    connection.info.pop(_QUEUE, None)
    connection.info.pop(_STATE, None)


def _drop_on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
    if record is not None:
        record.info.pop(_QUEUE, None)
        record.info.pop(_STATE, None)
