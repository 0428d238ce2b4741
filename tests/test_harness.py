"""The test harness keeps tests honest: a commit inside a test is still a commit for the code
(its hooks run, a request sees it), and nothing of it outlives the test (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select

from ngo.accounts import invitations
from ngo.accounts.models import Organisation, Role
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from tests import factories
from tests.conftest import _base_config, sent_mail

# `test_is_gone_in_the_next` proves something only after `test_a_commit_in_one_test` in the same
# process and database: under pytest-xdist the module runs on one worker, in its order.
pytestmark = pytest.mark.xdist_group("harness")

MARKER = "Harness check organisation"
LEFT_OVER = "Left over by an earlier committed test"


def test_a_commit_runs_the_after_commit_hooks(app, admin):
    organisation = admin.memberships[0].organisation
    invitations.invite_user(
        organisation, "harness@example.org", Role.VERIFIER, locale="en", actor=admin
    )
    assert sent_mail(app) == []  # nothing leaves before the commit
    db.session.commit()  # the outbox hook hands the message to (eager) Celery
    assert [m["To"] for m in sent_mail(app)] == ["harness@example.org"]
    db.session.expire_all()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.sent_at is not None  # the task committed its claim and its delivery


def test_a_rollback_in_the_code_undoes_its_own_work_only(app):
    kept = factories.OrganisationFactory(name="Kept")
    db.session.commit()
    db.session.add(Organisation(name="Dropped"))
    db.session.flush()
    db.session.rollback()
    names = db.session.scalars(select(Organisation.name)).all()
    assert "Kept" in names and "Dropped" not in names
    assert kept.id is not None


def test_what_a_request_commits_the_test_reads(client, admin):
    assert admin.failed_logins == 0  # loaded into the test's session
    client.post("/login", data={"email": admin.email, "password": "wrong password"})
    assert admin.failed_logins == 1  # read afresh: the test's copy was expired


def test_a_commit_in_one_test(app):
    factories.OrganisationFactory(name=MARKER)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Organisation.name == MARKER)) == 1


def test_is_gone_in_the_next(app):
    assert db.session.scalar(select(func.count()).where(Organisation.name == MARKER)) == 0


def test_nothing_reaches_the_database_file_before_the_test_ends(app):
    """Other connections see the committed database only: a released SAVEPOINT must not be
    a commit (pysqlite's legacy transactions would make it one)."""
    url = db.engine.url
    factories.OrganisationFactory(name=MARKER)
    db.session.commit()
    other = create_engine(url)
    try:
        with other.connect() as connection:
            seen = connection.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.name == MARKER)
            )
    finally:
        other.dispose()
    assert seen == 0


@pytest.mark.committed
def test_a_committed_test_commits_for_real(app):
    factories.OrganisationFactory(name=MARKER)
    other = create_engine(db.engine.url)
    try:
        with other.connect() as connection:
            seen = connection.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.name == MARKER)
            )
    finally:
        other.dispose()
    assert seen == 1


@pytest.fixture
def rows_left_over(tmp_path: Path, migrated_test_database: str | None) -> None:
    """What a committed test that failed in its teardown, or an interrupted run, leaves: rows
    committed in the database the next committed test gets, before its app is built."""
    engine = create_engine(str(_base_config(tmp_path)["SQLALCHEMY_DATABASE_URI"]))
    try:
        if engine.dialect.name == "sqlite":
            db.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(Organisation), [{"name": LEFT_OVER}, {"name": MARKER}])
    finally:
        engine.dispose()


@pytest.mark.committed
def test_a_committed_test_starts_from_an_empty_database(rows_left_over, app):
    """`rows_left_over` runs before `app` (the order of the arguments)."""
    for table in db.metadata.sorted_tables:
        assert db.session.scalar(select(func.count()).select_from(table)) == 0, table.name
    organisation = factories.OrganisationFactory(name=MARKER)  # no clash with the left-over
    assert organisation.id == 1  # the sequences start again
