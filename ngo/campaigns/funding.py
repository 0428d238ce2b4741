"""An appeal's money counters (raised and its confirmed gifts; funded and spent per budget
line): the one place that
changes them. The donations domain calls these in the transaction that posts the movement
to its ledger, so a public page never sums donation tables and never shows a figure the journal
does not hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

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


def lock_for_money(appeal_id: int, session: Session | None = None) -> Appeal:
    """The appeal, locked for the rest of the transaction, with its lines read after the lock.
    Every money movement on an appeal takes this lock first, so two gifts cannot both see a
    line as unfunded and a counter never loses an update (on SQLite the database lock does
    the same)."""
    session = session or db.session()
    appeal = session.execute(
        select(Appeal)
        .where(Appeal.id == appeal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    session.execute(
        select(BudgetLine)
        .where(BudgetLine.appeal_id == appeal_id)
        .execution_options(populate_existing=True)
    ).scalars().all()
    return appeal


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
            update(Appeal)
            .where(Appeal.id == appeal.id)
            .values(
                raised_minor=Appeal.raised_minor + raised_minor,
                donations_count=Appeal.donations_count + donations,
            )
            .execution_options(synchronize_session=False)
        )
    for column, deltas in (("funded_minor", funded or {}), ("spent_minor", spent or {})):
        for line_id, delta in deltas.items():
            if delta:
                session.execute(
                    update(BudgetLine)
                    .where(BudgetLine.id == line_id, BudgetLine.appeal_id == appeal.id)
                    .values({column: getattr(BudgetLine, column) + delta})
                    .execution_options(synchronize_session=False)
                )
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
