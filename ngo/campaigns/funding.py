"""An appeal's money counters (raised and its confirmed gifts; funded and spent per budget
line): the one place that
changes them. The donations domain calls these in the transaction that posts the movement
to its ledger, so a public page never sums donation tables and never shows a figure the journal
does not hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, Select, bindparam, func, literal_column, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from ngo import deferred_writes, sqlite_writers
from ngo.campaigns.giving import LineState
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.extensions import db, table_of


@dataclass
class Figures:
    """Raised per appeal, funded and spent per line, in minor units of the appeal's currency;
    and the number of confirmed gifts per appeal."""

    raised: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    donations: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    funded: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    spent: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))


# Built once: a gift moves these counters, and building the statements again each time cost
# more than running them. The counters are plain columns, so Core statements on the tables
# do (the session expires what it holds of them afterwards).
_LOCK_APPEAL = (
    select(Appeal)
    .where(Appeal.id == bindparam("appeal_id"))
    .options(selectinload(Appeal.budget_lines))
    .with_for_update(of=Appeal)
    .execution_options(populate_existing=True)
)
_APPEALS, _LINES = table_of(Appeal), table_of(BudgetLine)
_ADD_RAISED = (
    _APPEALS.update()
    .where(_APPEALS.c.id == bindparam("of_appeal"))
    .values(
        raised_minor=_APPEALS.c.raised_minor + bindparam("delta"),
        donations_count=_APPEALS.c.donations_count + bindparam("donations_delta"),
    )
)
_ADD_TO_LINE = {
    column: _LINES.update()
    .where(_LINES.c.id == bindparam("of_line"), _LINES.c.appeal_id == bindparam("of_appeal"))
    .values({column: _LINES.c[column] + bindparam("delta")})
    for column in ("funded_minor", "spent_minor")
}


@dataclass(frozen=True)
class LockedAppeal:
    """What confirming a gift needs of its appeal, read under the appeal's lock as plain
    values (no models built, nothing for the session to track)."""

    id: int
    organisation_id: int
    currency: str
    allocation_rule: str
    overfunding_policy: str
    lines: list[LineState]


_LOCK_APPEAL_ROW = (
    select(
        _APPEALS.c.id,
        _APPEALS.c.organisation_id,
        _APPEALS.c.currency,
        _APPEALS.c.allocation_rule,
        _APPEALS.c.overfunding_policy,
    )
    .where(_APPEALS.c.id == bindparam("appeal_id"))
    .with_for_update()
)
# In the order of Appeal.budget_lines, which allocation sees through line_states.
_LINE_COLUMNS = (
    _LINES.c.id,
    _LINES.c.amount_minor,
    _LINES.c.funded_minor,
    _LINES.c.essential,
    _LINES.c.priority,
)
_LINE_ORDER = (_LINES.c.priority, _LINES.c.id)
_LINE_STATES = (
    select(*_LINE_COLUMNS)
    .where(_LINES.c.appeal_id == bindparam("appeal_id"))
    .order_by(*_LINE_ORDER)
)


def lock_appeal_row(
    appeal_id: int, session: Session | None = None, *, with_lines: bool = True
) -> LockedAppeal:
    """`lock_for_money` for the hot path of confirming a gift: the same lock and the same
    two reads (the row under the lock, then its lines after it), as values on the session's
    connection. Whatever the session holds of the appeal was flushed before (the caller's
    flush), so the rows read are current. `with_lines=False` leaves the lines to the caller,
    who reads them in a statement of its own after this one (`lines_read_with`)."""
    session = session or db.session()
    _take_sqlite_write_lock(session)
    connection = session.connection()
    row = connection.execute(_LOCK_APPEAL_ROW, {"appeal_id": appeal_id}).one()
    lines = []
    if with_lines:
        lines = line_states(connection.execute(_LINE_STATES, {"appeal_id": appeal_id}))
    return LockedAppeal(row[0], row[1], row[2], row[3], row[4], lines)


def lines_read_with(write: CTE) -> Select[Any]:
    """The lines of the appeal `lines_of_appeal` (a bind parameter named so that no column of
    an UPDATE in `write` takes it for a value to set), as `lock_appeal_row` reads them,
    in one statement with `write` (PostgreSQL's data-modifying CTE, whose rows the statement
    cannot see): each row is the number of rows `write` returned, then a line's five values
    (None when the appeal has no line, in a single row). Run after the appeal's lock, so
    the statement sees the lines as the lock's holders left them."""
    one_row = select(literal_column("1").label("one")).subquery("one_row")
    written = select(func.count()).select_from(write).scalar_subquery()
    return (
        select(written, *_LINE_COLUMNS)
        .select_from(one_row.outerjoin(_LINES, _LINES.c.appeal_id == bindparam("lines_of_appeal")))
        .order_by(*_LINE_ORDER)
        .add_cte(write)
    )


def line_states(rows: Iterable[Sequence[Any]]) -> list[LineState]:
    """The lines read by `_LINE_STATES` or (each row's values after the first) by
    `lines_read_with`, as the giving rules read them."""
    return [
        LineState(id_, amount, funded, bool(essential), priority)
        for id_, amount, funded, essential, priority in rows
        if id_ is not None
    ]


def lock_for_money(appeal_id: int, session: Session | None = None) -> Appeal:
    """The appeal, locked for the rest of the transaction, with its lines read after the lock.
    Every money movement on an appeal takes this lock first, so two gifts cannot both see a
    line as unfunded and a counter never loses an update (on SQLite the database's write
    lock does the same).

    The lines come in the loader's second statement, which runs once the locked row is back:
    a join would read them in the locking statement's snapshot, from before a transaction
    that held the lock committed (PostgreSQL re-reads only the locked row). The loader fills
    `appeal.budget_lines`, so reading them afterwards asks the database nothing more."""
    session = session or db.session()
    _take_sqlite_write_lock(session)
    return session.execute(_LOCK_APPEAL, {"appeal_id": appeal_id}).scalar_one()


_LOCK_APPEALS = (
    select(_APPEALS.c.id)
    .where(_APPEALS.c.id.in_(bindparam("appeal_ids", expanding=True)))
    .order_by(_APPEALS.c.id)
    .with_for_update()
)


def lock_appeals(appeal_ids: Iterable[int], session: Session | None = None) -> None:
    """Lock several appeals for money at once, in the order of their ids, before a movement
    on any of them. One transaction that moves the money of several appeals (a statement's
    lines) must not take a second appeal's lock after the ledger's: a gift to that appeal,
    holding its lock and waiting for the ledger's, would deadlock with it. The rows are
    locked as the sorted scan returns them, so two such transactions queue instead."""
    wanted = sorted(set(appeal_ids))
    if not wanted:
        return
    session = session or db.session()
    _take_sqlite_write_lock(session)
    session.connection().execute(_LOCK_APPEALS, {"appeal_ids": wanted}).all()


def _take_sqlite_write_lock(session: Session) -> None:
    """SQLite ignores FOR UPDATE, and pysqlite (Python < 3.12) opens its transaction only at
    the first INSERT or UPDATE: until then each read stands alone, and two workers could
    both read a line as unfunded. BEGIN IMMEDIATE takes the database's write lock now, so
    the lines are read under it, as on PostgreSQL, wherever the movement writes first."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    fairy = connection.connection
    driver = fairy.dbapi_connection
    if driver is not None and not driver.in_transaction:
        sqlite_writers.take(fairy.info, connection.engine.url.database)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def move_counters(
    appeal: Appeal,
    *,
    raised_minor: int = 0,
    donations: int = 0,
    funded: Mapping[int, int] | None = None,
    spent: Mapping[int, int] | None = None,
    session: Session | None = None,
) -> None:
    """Add the deltas to the counters, as SQL increments (never read-modify-write).
    `donations` is the change in the number of confirmed gifts (1 when one is confirmed, -1
    when a confirmed one is refunded in full or disputed)."""
    session = session or db.session()
    _move(session, appeal.id, raised_minor, donations, funded or {}, spent or {})
    session.expire(appeal, ["raised_minor", "donations_count"])
    for line in appeal.budget_lines:
        session.expire(line, ["funded_minor", "spent_minor"])


def move_counters_of(
    appeal_id: int,
    *,
    raised_minor: int = 0,
    donations: int = 0,
    funded: Mapping[int, int] | None = None,
    session: Session | None = None,
) -> None:
    """`move_counters` by the appeal's id (after `lock_appeal_row`): what the session holds
    of the appeal and its lines, if anything, is expired, so it is read again when used."""
    session = session or db.session()
    _move(session, appeal_id, raised_minor, donations, funded or {}, {})
    held = session.identity_map.get(identity_key(Appeal, appeal_id))
    if held is not None:
        session.expire(held, ["raised_minor", "donations_count"])
    for line_id in funded or {}:
        line = session.identity_map.get(identity_key(BudgetLine, line_id))
        if line is not None:
            session.expire(line, ["funded_minor", "spent_minor"])


def _move(
    session: Session,
    appeal_id: int,
    raised_minor: int,
    donations: int,
    funded: Mapping[int, int],
    spent: Mapping[int, int],
) -> None:
    # Deferred writes on the connection (ngo.deferred_writes): nothing in the movement reads
    # the counters back, and on PostgreSQL they go with the ledger's rows in one statement.
    # Whatever reads them next (a page, the next gift's lock) finds them written.
    if raised_minor or donations:
        deferred_writes.defer(
            session,
            _ADD_RAISED,
            {"of_appeal": appeal_id, "delta": raised_minor, "donations_delta": donations},
            target=(Appeal, appeal_id),
        )
    for column, deltas in (("funded_minor", funded), ("spent_minor", spent)):
        moved = [(line_id, delta) for line_id, delta in deltas.items() if delta]
        deferred_writes.defer_rows(
            session,
            _ADD_TO_LINE[column],
            [
                {"of_line": line_id, "of_appeal": appeal_id, "delta": delta}
                for line_id, delta in moved
            ],
            targets=[(BudgetLine, line_id) for line_id, _ in moved],
        )


def compare_counters(journal: Figures, session: Session | None = None) -> list[str]:
    """Every difference between the stored counters and `journal`, one sentence each."""
    session = session or db.session()
    differences = []
    counters = select(Appeal.id, Appeal.raised_minor, Appeal.donations_count)
    for appeal_id, raised, donations in session.execute(counters):
        if raised != journal.raised.get(appeal_id, 0):
            differences.append(
                f"appeal {appeal_id}: raised is {raised}, the journal holds "
                f"{journal.raised.get(appeal_id, 0)}"
            )
        if donations != journal.donations.get(appeal_id, 0):
            differences.append(
                f"appeal {appeal_id}: {donations} confirmed gifts counted, "
                f"{journal.donations.get(appeal_id, 0)} confirmed"
            )
    rows = session.execute(
        select(BudgetLine.id, BudgetLine.appeal_id, BudgetLine.funded_minor, BudgetLine.spent_minor)
    )
    for line_id, appeal_id, funded, spent in rows:
        for name, stored, expected in (
            ("funded", funded, journal.funded.get(line_id, 0)),
            ("spent", spent, journal.spent.get(line_id, 0)),
        ):
            if stored != expected:
                differences.append(
                    f"appeal {appeal_id}, budget line {line_id}: {name} is {stored}, "
                    f"the journal holds {expected}"
                )
    return differences
