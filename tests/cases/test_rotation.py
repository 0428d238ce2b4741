"""Data-key rotation: after `rotate-data-key` the old key can go, and nothing is lost."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from PIL import Image
from sqlalchemy import LargeBinary, func, select, type_coerce

from ngo import audit
from ngo.accounts.models import User
from ngo.audit import AuditEvent
from ngo.cases import evidence, listing, rotation, services, stories
from ngo.cases.cli import rotate_data_key_command
from ngo.cases.models import Beneficiary, CaseNote, EvidenceItem, EvidenceKind
from ngo.extensions import db
from tests import factories

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()
CASES = 5


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"NGO_DATA_KEYS": KEY_A}


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def data_on_key_a(app: Flask, organisation, make_user):
    """Cases, notes, a story, documents and a user with 2FA, all encrypted with key A."""
    staff: User = make_user("admin")
    cases, documents = [], {}
    for n in range(CASES):
        case = factories.BeneficiaryFactory(
            organisation=organisation, legal_name=f"Rotated Person{n}", phone=f"+48 600 000 {n:03}"
        )
        services.add_note(case, f"Note number {n}", actor=staff)
        item = evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title=f"Document {n}",
            data=png((n * 40, 0, 0)),
            filename=f"scan{n}.png",
            actor=staff,
        )
        db.session.flush()
        documents[item.id] = evidence.read_evidence_file(item)
        cases.append(case)
    stories.start_story(cases[0], title="A story", body="Told in key A", actor=staff)
    db.session.commit()
    return {"staff_id": staff.id, "totp": staff.totp_secret, "documents": documents}


def _use_keys(app: Flask, keys: str) -> None:
    app.config["NGO_DATA_KEYS"] = keys
    db.session.expire_all()


def _raw_tokens() -> list[bytes]:
    tokens = []
    for _table, columns in rotation.encrypted_tables():
        raw = [type_coerce(c, LargeBinary) for c in columns]
        for row in db.session.execute(select(*raw)):
            tokens.extend(bytes(v) for v in row if v is not None)
    return tokens


def _files(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["NGO_FILES_PATH"]).rglob("*") if p.is_file()]


def _on_key(token: bytes, key: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def _assert_everything_reads_with_b_alone(app: Flask, data: dict) -> None:
    _use_keys(app, KEY_B)
    assert all(_on_key(t, KEY_B) for t in _raw_tokens())
    assert all(_on_key(p.read_bytes(), KEY_B) for p in _files(app))
    people = db.session.scalars(select(Beneficiary).order_by(Beneficiary.id)).all()
    assert [p.legal_name for p in people] == [f"Rotated Person{n}" for n in range(CASES)]
    assert [p.phone for p in people] == [f"+48 600 000 {n:03}" for n in range(CASES)]
    assert sorted(n.body for n in db.session.scalars(select(CaseNote))) == [
        f"Note number {n}" for n in range(CASES)
    ]
    assert db.session.get(User, data["staff_id"]).totp_secret == data["totp"]
    for item in db.session.scalars(select(EvidenceItem)):
        assert evidence.read_evidence_file(item) == data["documents"][item.id]
        assert item.title.startswith("Document ")
    assert stories.story_of(people[0]).versions[0].body_markdown == "Told in key A"
    # Search keeps working: the blind index does not depend on the data keys.
    _, total = listing.list_cases(people[0].organisation_id, listing.CaseFilters(name="Rotated"))
    assert total == CASES


def test_rotation_moves_every_value_and_file_to_the_new_key(app: Flask, data_on_key_a):
    assert not any(_on_key(t, KEY_B) for t in _raw_tokens())
    _use_keys(app, f"{KEY_B},{KEY_A}")
    result = app.test_cli_runner().invoke(rotate_data_key_command, ["--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "beneficiaries:" in result.output and "users:" in result.output
    assert f"evidence files: {CASES} re-encrypted" in result.output
    assert "Done:" in result.output
    # Progress and summary name tables and counts, never a value.
    assert "Rotated Person" not in result.output and "Note number" not in result.output
    _assert_everything_reads_with_b_alone(app, data_on_key_a)


def test_rotation_includes_user_totp_secrets(app: Flask, data_on_key_a):
    tables = {t.name: {c.name for c in cols} for t, cols in rotation.encrypted_tables()}
    assert "totp_secret" in tables["users"]
    assert {"legal_name", "phone", "date_of_birth"} <= tables["beneficiaries"]
    assert "body_markdown" in tables["story_versions"]


def test_rotation_is_audited_with_counts_only(app: Flask, data_on_key_a):
    _use_keys(app, f"{KEY_B},{KEY_A}")
    report = rotation.rotate_data_keys(batch_size=3)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "data_keys.rotated")
    ).one()
    assert event.details == report.counts()
    assert all(isinstance(v, int) for v in event.details.values())
    assert event.details["files_rotated"] == CASES
    assert audit.verify_chain().ok


def test_an_interrupted_rotation_is_finished_by_the_next_run(app: Flask, data_on_key_a):
    _use_keys(app, f"{KEY_B},{KEY_A}")
    (table, columns) = next(t for t in rotation.encrypted_tables() if t[0].name == "beneficiaries")

    class SimulatedCrashError(Exception):
        pass

    def stop_after_first_batch(message: str) -> None:
        raise SimulatedCrashError(message)

    with pytest.raises(SimulatedCrashError):
        rotation.rotate_table(table, columns, batch_size=2, progress=stop_after_first_batch)
    db.session.rollback()
    # The first batch (two rows) was committed; the rest still waits on key A.
    raw_names = db.session.execute(
        select(type_coerce(table.c.legal_name, LargeBinary)).order_by(table.c.id)
    ).scalars()
    assert [_on_key(bytes(t), KEY_B) for t in raw_names] == [True, True, False, False, False]

    result = app.test_cli_runner().invoke(rotate_data_key_command, ["--batch-size", "2"])
    assert result.exit_code == 0, result.output
    report_line = next(
        line
        for line in result.output.splitlines()
        if line.startswith("beneficiaries:") and "values" in line
    )
    # Four values per row (names, phone, country, city): two rows were done, three remained.
    assert report_line.startswith(
        "beneficiaries: 12 values re-encrypted, 8 already on the newest key"
    )
    _assert_everything_reads_with_b_alone(app, data_on_key_a)


def test_running_twice_is_harmless(app: Flask, data_on_key_a):
    _use_keys(app, f"{KEY_B},{KEY_A}")
    runner = app.test_cli_runner()
    first = runner.invoke(rotate_data_key_command, [])
    assert first.exit_code == 0, first.output
    tokens_after_first = sorted(_raw_tokens())
    files_after_first = {p: p.read_bytes() for p in _files(app)}

    second = runner.invoke(rotate_data_key_command, [])
    assert second.exit_code == 0, second.output
    assert "Done: 0 values and 0 files re-encrypted" in second.output
    # Nothing was rewritten: values already on the newest key are skipped.
    assert sorted(_raw_tokens()) == tokens_after_first
    assert {p: p.read_bytes() for p in _files(app)} == files_after_first
    assert not [p for p in _files(app) if p.name.endswith(".part")]
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "data_keys.rotated")) == 2
    )
    assert audit.verify_chain().ok
    _assert_everything_reads_with_b_alone(app, data_on_key_a)


def test_a_value_no_key_reads_is_reported_by_row_id_and_left_alone(app: Flask, data_on_key_a):
    stranger = Fernet(KEY_C.encode()).encrypt(b"Secret on key C")
    case_id = db.session.scalars(select(Beneficiary.id).order_by(Beneficiary.id)).first()
    table = Beneficiary.__table__
    db.session.execute(
        table.update().where(table.c.id == case_id).values(needs=type_coerce(stranger, LargeBinary))
    )
    db.session.commit()
    _use_keys(app, f"{KEY_B},{KEY_A}")
    result = app.test_cli_runner().invoke(rotate_data_key_command, [])
    assert result.exit_code == 1
    assert f"Unreadable in beneficiaries, row ids: {case_id}" in result.output
    assert "Secret on key C" not in result.output
    raw = db.session.execute(
        select(type_coerce(table.c.needs, LargeBinary)).where(table.c.id == case_id)
    ).scalar_one()
    assert bytes(raw) == stranger
    # The row's other values were still rotated.
    raw_name = db.session.execute(
        select(type_coerce(table.c.legal_name, LargeBinary)).where(table.c.id == case_id)
    ).scalar_one()
    assert _on_key(bytes(raw_name), KEY_B)


def test_an_update_made_meanwhile_is_not_overwritten(app: Flask, data_on_key_a):
    """The guarded UPDATE only replaces the ciphertext that was read."""
    _use_keys(app, f"{KEY_B},{KEY_A}")
    table = Beneficiary.__table__
    case_id = db.session.scalars(select(Beneficiary.id)).first()
    read = db.session.execute(
        select(type_coerce(table.c.phone, LargeBinary)).where(table.c.id == case_id)
    ).scalar_one()
    # The application writes a new phone number (with key B) after rotation read the old one.
    db.session.get(Beneficiary, case_id).phone = "+48 600 999 999"
    db.session.commit()
    statement = rotation._guarded_update(table, table.c.id, table.c.phone)
    result = db.session.execute(
        statement, [{"_id": case_id, "_old": read, "_new": Fernet(KEY_B.encode()).encrypt(b"old")}]
    )
    db.session.commit()
    assert result.rowcount == 0
    db.session.expire_all()
    assert db.session.get(Beneficiary, case_id).phone == "+48 600 999 999"


def test_rotation_skips_files_destroyed_by_erasure(app: Flask, data_on_key_a):
    item = db.session.scalars(select(EvidenceItem)).first()
    evidence.destroy_evidence_file(item)
    db.session.commit()
    _use_keys(app, f"{KEY_B},{KEY_A}")
    report = rotation.rotate_data_keys()
    assert report.files.rotated == CASES - 1
    assert len(_files(app)) == CASES - 1
