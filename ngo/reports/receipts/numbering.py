"""Receipt numbers: sequential per organisation and year, without gaps, never given twice.

`take_number` moves the (organisation, year) counter with one UPDATE in the caller's
transaction, which is the one that inserts the receipt. The UPDATE takes the counter row's
lock (PostgreSQL: the same row lock as SELECT ... FOR UPDATE; SQLite: the database's write
lock), held until that transaction ends, so concurrent workers take numbers one after another.
A transaction that fails later (the insert, the commit) rolls the counter back with it: the
number it took is taken by the next receipt instead, and there is no gap. Once committed, a
number belongs to its receipt for good, whatever happens to the e-mail afterwards.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ngo.extensions import table_of
from ngo.reports.receipts.models import ReceiptCounter
from ngo.unit_of_work import note_write

SEQUENCE_DIGITS = 6


def format_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:0{SEQUENCE_DIGITS}d}"


# Built once, in Core, and run on the session's connection (building it cost about what
# running it does, the ORM's handling of an UPDATE about as much again); the names are not
# the columns' (those are reserved for the SET clause).
_COUNTERS = table_of(ReceiptCounter)
_NEXT_SEQUENCE = (
    _COUNTERS.update()
    .where(
        _COUNTERS.c.organisation_id == bindparam("of_organisation"),
        _COUNTERS.c.year == bindparam("of_year"),
    )
    .values(last_sequence=_COUNTERS.c.last_sequence + 1)
    .returning(_COUNTERS.c.last_sequence)
)


def take_number(session: Session, organisation_id: int, year: int) -> tuple[int, str]:
    """The next sequence of the organisation's year and its printed number."""
    for _attempt in range(3):
        # One round trip: the increment and the value it made (RETURNING, on PostgreSQL and
        # on SQLite from 3.35).
        session.flush()  # as the ORM's UPDATE did first
        note_write(session)
        sequence = session.connection().scalar(
            _NEXT_SEQUENCE, {"of_organisation": organisation_id, "of_year": year}
        )
        if sequence is not None:
            return sequence, format_number(year, sequence)
        # The organisation's first receipt of the year: make its counter. Two workers may
        # race to; the loser's savepoint rolls back and it takes the next number above.
        try:
            with session.begin_nested():
                session.add(
                    ReceiptCounter(organisation_id=organisation_id, year=year, last_sequence=1)
                )
            return 1, format_number(year, 1)
        except IntegrityError:
            continue
    raise RuntimeError("the receipt counter could not be created or locked")
