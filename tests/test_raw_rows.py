"""What a stolen database shows: every row of every table, read with plain SQL, holds none of a
beneficiary's personal values, in any column, as text or as UTF-8 bytes."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from ngo.accounts.models import User
from ngo.cases import consent, evidence, services, stories
from ngo.cases.models import ConsentAudience, ConsentItem, ConsentMethod, EvidenceKind
from ngo.cases.services import BeneficiaryData
from ngo.extensions import db
from tests import factories

# What is stored, as stored: committed rows, the database file itself, and the statement log of
# a connection opened after logging was turned on (a test's shared connection predates it).
pytestmark = pytest.mark.committed

VALUES = {
    "legal_name": "Аляксандр Тэставы",
    "public_name": "Aliaksandr T.",
    "phone": "+48 600 100 200",
    "email": "aliaksandr.testavy@example.net",
    "city": "Białystok",
    "date_of_birth": "1984-11-23",
    "household_first_name": "Мікалайка",
    "note": "Was followed after leaving the Hrodna KGB building",
    "task": "Book the appointment at the Białystok office of the Straż Graniczna",
    "witness": "Witness Ірына Сведка",
    "document_title": "Hrodna district court verdict of Aliaksandr",
    "document_filename": "testavy_verdict.pdf",
    "document_text": "PDFMARKER TESTAVY VERDICT",
    "story_title": "Two years in Hrodna prison",
    "story_body": "Aliaksandr spent two years in Hrodna prison for a comment online",
}


def _pdf() -> bytes:
    data = factories.blank_pdf(width=100, height=100, title=VALUES["document_text"])
    assert VALUES["document_text"].encode() in data
    return data


def _create_case(organisation_id: int, actor: User) -> None:
    case = services.create_beneficiary(
        organisation_id,
        BeneficiaryData(
            legal_name=VALUES["legal_name"],
            public_name=VALUES["public_name"],
            phone=VALUES["phone"],
            email=VALUES["email"],
            city_of_residence=VALUES["city"],
            date_of_birth=date.fromisoformat(VALUES["date_of_birth"]),
        ),
        actor=actor,
    )
    services.add_household_member(
        case, relationship="son", first_name=VALUES["household_first_name"], age=7, actor=actor
    )
    services.add_note(case, VALUES["note"], actor=actor)
    services.add_task(
        case,
        title=VALUES["task"],
        due_date=date.today() + timedelta(days=1),
        assignee_id=actor.id,
        actor=actor,
    )
    evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title=VALUES["document_title"],
        data=_pdf(),
        filename=VALUES["document_filename"],
        actor=actor,
    )
    consent.record_consent(
        case,
        items=[ConsentItem.STORY],
        audiences=[ConsentAudience.DONOR_EMAILS],
        given_on=date.today(),
        expires_on=None,
        method=ConsentMethod.VERBAL_WITNESSED,
        witness_name=VALUES["witness"],
        form_evidence_id=None,
        actor=actor,
    )
    stories.start_story(case, title=VALUES["story_title"], body=VALUES["story_body"], actor=actor)
    db.session.commit()


def _leaks(cell: Any) -> list[str]:
    if cell is None:
        return []
    if isinstance(cell, bytes | bytearray | memoryview):
        data = bytes(cell)
        return [k for k, v in VALUES.items() if v.encode() in data]
    as_text = str(cell)
    return [k for k, v in VALUES.items() if v in as_text or v.lower() in as_text.lower()]


@pytest.fixture
def case_created(app: Flask, admin: User, caplog: pytest.LogCaptureFixture) -> str:
    db.session.commit()  # the admin is there; the case comes on a connection that logs
    # Statement logging on, as an operator debugging production might turn it on.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    # A logging configuration applied earlier in this worker process (dictConfig disables
    # the loggers it does not name) must not silence the statements this test reads.
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine"):
        logging.getLogger(name).disabled = False
    _create_case(admin.memberships[0].organisation_id, admin)
    return caplog.text


def test_no_table_holds_a_personal_value_in_plain_text(app: Flask, case_created: str):
    tables = db.metadata.sorted_tables
    assert {"beneficiaries", "household_members", "case_notes", "story_versions"} <= {
        t.name for t in tables
    }
    rows_seen = 0
    for table in tables:
        # Names come from the schema, not from input.
        result = db.session.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
        for row in result:
            rows_seen += 1
            for column, cell in zip(result.keys(), row, strict=True):
                assert not _leaks(cell), f"{table.name}.{column} holds {_leaks(cell)}"
    assert rows_seen > 10


def test_the_evidence_file_on_disk_is_ciphertext_under_a_random_name(app: Flask, case_created: str):
    files = [p for p in Path(app.config["NGO_FILES_PATH"]).rglob("*") if p.is_file()]
    assert len(files) == 1
    (stored,) = files
    assert not _leaks(stored.read_bytes())
    assert not _leaks(str(stored.relative_to(app.config["NGO_FILES_PATH"])))


def test_the_sqlite_file_itself_holds_no_personal_value(app: Flask, case_created: str):
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("a file check for SQLite; PostgreSQL is covered by the row scan")
    db.session.remove()
    db.engine.dispose()
    database = Path(url.database)
    assert b"CREATE TABLE beneficiaries" in database.read_bytes()  # the right file
    for path in (database, *database.parent.glob(database.name + "-*")):
        assert not _leaks(path.read_bytes()), path.name


def test_statement_logs_hold_no_personal_value(case_created: str):
    assert "INSERT INTO beneficiaries" in case_created  # statement logging was really on
    assert not _leaks(case_created)
