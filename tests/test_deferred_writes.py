"""Deferred writes: queued on PostgreSQL and sent as one statement before anything else runs on
the connection; written at once on SQLite. Every test holds on both (the integration run
repeats the suite on PostgreSQL); what only PostgreSQL does is asserted there."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from ngo import deferred_writes
from ngo.chained_log import ChainHead
from ngo.extensions import db, table_of
from tests.helpers import counted_statements

_HEADS = table_of(ChainHead)
_INSERT = _HEADS.insert()
_BUMP = (
    _HEADS.update()
    .where(_HEADS.c.name == bindparam("of_head"))
    .values(seq=_HEADS.c.seq + bindparam("by"))
)


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _seqs() -> dict[str, int]:
    rows = db.session.execute(select(ChainHead.name, ChainHead.seq)).all()
    return {name: seq for name, seq in rows}


def _insert(name: str, seq: int = 0) -> None:
    deferred_writes.defer(
        db.session(),
        _INSERT,
        {"name": name, "seq": seq, "hash": "0" * 64},
        target=(ChainHead, name),  # it is updated afterwards
    )


def _bump(name: str, by: int) -> None:
    deferred_writes.defer(
        db.session(), _BUMP, {"of_head": name, "by": by}, target=(ChainHead, name)
    )


def test_the_next_statement_finds_the_writes_and_they_went_as_one(app):
    connection = db.session.connection()
    with counted_statements() as statements:
        _insert("one")
        _insert("two", 5)
        _bump("two", 2)
        waiting = deferred_writes.queued(connection)
        found = _seqs()
    assert found == {"one": 0, "two": 7}
    if _on_postgresql():
        # The two inserts as one statement; the update of a row made in it, which would not
        # see that row, in the next; then the read.
        assert waiting == 1
        assert len(statements) == 3
        assert statements[0].lstrip().startswith("WITH w0 AS")
    else:
        assert waiting == 0
        assert len(statements) == 4
    assert deferred_writes.queued(connection) == 0


def test_a_second_update_of_one_row_sends_the_first_before_it(app):
    # PostgreSQL applies only one of two changes to a row in one statement: both must count.
    _insert("counter")
    _bump("counter", 1)
    _bump("counter", 1)
    _bump("counter", 1)
    assert _seqs() == {"counter": 3}


def test_the_commit_sends_them(app):
    _insert("kept", 4)
    db.session.commit()
    db.session.expire_all()
    assert _seqs() == {"kept": 4}


def test_a_rollback_drops_them(app):
    _insert("before")
    db.session.commit()
    _insert("dropped")
    _bump("before", 9)
    db.session.rollback()
    assert deferred_writes.queued(db.session.connection()) == 0
    assert _seqs() == {"before": 0}


def test_a_savepoint_rolled_back_drops_its_own_writes_only(app):
    _insert("outside")
    savepoint = db.session.begin_nested()
    _insert("inside")
    _bump("outside", 3)
    savepoint.rollback()
    assert _seqs() == {"outside": 0}


def test_a_failing_write_fails_the_statement_that_sends_it_and_leaves_nothing(app):
    _insert("taken")
    db.session.commit()
    _insert("new")
    # The primary key again: refused at once on SQLite, by the next statement on PostgreSQL.
    with pytest.raises(IntegrityError):
        _insert("taken")
        _seqs()
    db.session.rollback()
    assert _seqs() == {"taken": 0}


def test_a_write_that_returns_gives_its_value_once_sent_and_never_if_dropped(app):
    returning = _INSERT.returning(_HEADS.c.seq)
    given: list[int] = []
    deferred_writes.defer(
        db.session(), returning, {"name": "kept", "seq": 3, "hash": "0" * 64}, returned=given.append
    )
    deferred_writes.defer(
        db.session(), returning, {"name": "also", "seq": 4, "hash": "0" * 64}, returned=given.append
    )
    # Sent with the queue on PostgreSQL (here by the next read), at once on SQLite.
    assert given == ([] if _on_postgresql() else [3, 4])
    assert _seqs() == {"kept": 3, "also": 4}
    assert given == [3, 4]
    db.session.commit()
    deferred_writes.defer(
        db.session(),
        returning,
        {"name": "dropped", "seq": 5, "hash": "0" * 64},
        returned=given.append,
    )
    db.session.rollback()
    assert given == ([3, 4] if _on_postgresql() else [3, 4, 5])
    assert _seqs() == {"kept": 3, "also": 4}
