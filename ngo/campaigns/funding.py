"""An appeal's money counters (raised and its confirmed gifts; funded and spent per budget
line): the one place that
changes them. The donations domain calls these in the transaction that posts the movement
to its ledger, so a public page never sums donation tables and never shows a figure the journal
does not hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, selectinload

from ngo import sqlite_writers
from ngo.campaigns.models import Appeal, BudgetLine
from ngo.extensions import db


@dataclass
class Figures:
    """Raised per appeal, funded and spent per line, in minor units of the appeal's currency;
    and the number of confirmed gifts per appeal."""

    raised: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    donations: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    funded: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    spent: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)  # typed as any FromClause; a mapped class has a Table
    return table


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
_APPEALS, _LINES = _table(Appeal), _table(BudgetLine)
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
    if raised_minor or donations:
        session.execute(
            _ADD_RAISED,
            {"of_appeal": appeal.id, "delta": raised_minor, "donations_delta": donations},
        )
    for column, deltas in (("funded_minor", funded or {}), ("spent_minor", spent or {})):
        rows = [
            {"of_line": line_id, "of_appeal": appeal.id, "delta": delta}
            for line_id, delta in deltas.items()
            if delta
        ]
        if rows:
            session.execute(_ADD_TO_LINE[column], rows)
    session.expire(appeal, ["raised_minor", "donations_count"])
    for line in appeal.budget_lines:
        session.expire(line, ["funded_minor", "spent_minor"])


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
