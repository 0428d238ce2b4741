from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text

from ngo import audit, chain, deferred_writes
from ngo.audit import AuditEvent
from ngo.chain import Checkpoint
from ngo.cli import audit_checkpoint_command, audit_public_key_command, audit_verify_command
from ngo.extensions import db
from ngo.timeutil import utcnow


def _write_events(n: int) -> None:
    for i in range(n):
        audit.record(
            "test.event",
            actor_id=1,
            organisation_id=1,
            object_type="thing",
            object_id=i,
            details={"i": i},
        )
    db.session.commit()


def test_chain_links_each_event_to_the_previous(app):
    _write_events(3)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    report = audit.verify_chain()
    assert report.ok
    assert report.events_checked == 3
    assert report.head_hash == events[-1].hash


def test_edited_row_is_detected(app):
    _write_events(5)
    # Raw SQL, as an attacker with database access would do it.
    db.session.execute(text("UPDATE audit_events SET action = 'innocent' WHERE seq = 3"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_at_seq == 3
    assert "altered" in report.problem


def test_rehashed_edit_breaks_the_next_link(app):
    _write_events(5)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    event.action = "rewritten"
    event.hash = event.compute_hash()
    db.session.commit()
    report = audit.verify_chain()
    assert report.broken_at_seq == 3


def test_deleted_row_is_detected(app):
    _write_events(5)
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_at_seq == 2
    assert "deleted" in report.problem


def test_cli_reports_intact_and_broken_chains(app):
    _write_events(4)
    runner = app.test_cli_runner()
    ok = runner.invoke(audit_verify_command)
    assert ok.exit_code == 0
    assert "intact: 4 events" in ok.output
    db.session.execute(text("UPDATE audit_events SET object_id = '999' WHERE seq = 4"))
    db.session.commit()
    broken = runner.invoke(audit_verify_command)
    assert broken.exit_code == 1
    assert "BROKEN at event 4" in broken.output


def test_audit_page_verifies_on_request(admin_client):
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert " signed in" in page
    checked = admin_client.post("/admin/audit/verify").get_data(as_text=True)
    assert "The chain is intact" in checked


def test_admin_actions_leave_no_personal_values_in_the_log(admin_client, make_user, admin):
    member = make_user("caseworker", email="maryia.k@example.org", display_name="Maryia K")
    admin_client.post(f"/admin/users/{member.id}/lock")
    admin_client.post(f"/admin/users/{member.id}/unlock")
    admin_client.post(f"/admin/users/{member.id}/role", data={"role": "verifier"})
    admin_client.post(
        "/admin/users/invite",
        data={"email": "new.person@example.org", "role": "treasurer", "locale": "en"},
    )
    rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    dump = repr(rows)
    assert "user.locked" in dump and "membership.role_changed" in dump
    for value in ("maryia", "Maryia", "new.person", admin.email, "example.org"):
        assert value not in dump


# Keyed chain and signed checkpoints ----------------------------------------------------------


def _plain_sha256(event: AuditEvent) -> str:
    """The hash of the old, unkeyed scheme: what anyone with the database can recompute."""
    canonical = json.dumps(
        [*event.hashed_fields(), event.prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _rechain_from(seq: int, hash_of) -> None:
    """Recompute every hash from `seq` on, as an attacker covering an edit would."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    prev = events[seq - 2].hash if seq > 1 else audit.GENESIS_HASH
    for event in events[seq - 1 :]:
        event.prev_hash = prev
        event.hash = hash_of(event)
        prev = event.hash
    db.session.commit()


def _checkpoint() -> audit.AuditCheckpoint:
    row = audit.write_checkpoint()
    db.session.commit()
    return row


def test_edit_covered_by_recomputed_plain_hashes_is_detected(app):
    _write_events(5)
    db.session.execute(text("UPDATE audit_events SET action = 'innocent' WHERE seq = 3"))
    db.session.commit()
    db.session.expire_all()
    _rechain_from(3, _plain_sha256)
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_at_seq == 3
    assert report.kind == "altered"


def test_chain_rehashed_with_another_key_is_detected_from_the_first_event(app):
    _write_events(4)
    _rechain_from(1, lambda event: event.compute_hash(b"a key the attacker guessed"))
    report = audit.verify_chain()
    assert report.broken_at_seq == 1
    assert "NGO_AUDIT_KEY" in report.problem


def test_cutting_off_the_newest_events_after_a_checkpoint_is_reported(app):
    _write_events(5)
    _checkpoint()
    db.session.execute(text("DELETE FROM audit_events WHERE seq > 3"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok
    assert report.kind == "truncated"
    assert report.broken_at_seq == 4
    assert "entries 4 to 5 are missing" in report.problem


def test_rewrite_with_the_chain_key_still_differs_from_the_signed_checkpoint(app):
    # Even someone holding NGO_AUDIT_KEY (but not the signing key) cannot rewrite signed history.
    _write_events(5)
    _checkpoint()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    event.action = "rewritten"
    db.session.commit()
    _rechain_from(2, lambda e: e.compute_hash())
    report = audit.verify_chain()
    assert report.kind == "rewritten"
    assert report.broken_at_seq == 5


def test_altered_checkpoint_is_reported_as_forged(app):
    _write_events(5)
    _checkpoint()
    db.session.execute(text("DELETE FROM audit_events WHERE seq > 2"))
    # Lowering the checkpoint to the new head would hide the cut, but breaks its signature.
    head = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 2))
    db.session.execute(text("UPDATE audit_checkpoints SET seq = 2, head_hash = :h"), {"h": head})
    db.session.commit()
    report = audit.verify_chain()
    assert report.kind == "checkpoint_forged"
    assert "forged or altered" in report.problem


def test_checkpoint_signed_with_another_key_is_reported(app):
    _write_events(2)
    other_key = Ed25519PrivateKey.generate()
    seq, head = 2, db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 2))
    forged = Checkpoint("audit", seq, head, utcnow()).signed(other_key)
    db.session.add(
        audit.AuditCheckpoint(
            seq=seq,
            head_hash=head,
            created_at=forged.created_at,
            signature=forged.signature,
            public_key=forged.public_key,
        )
    )
    db.session.commit()
    assert audit.verify_chain().kind == "checkpoint_forged"


def test_a_checkpoint_refuses_to_vouch_for_a_cut_or_altered_log(app):
    _write_events(5)
    _checkpoint()
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    db.session.commit()
    with pytest.raises(audit.AuditChainError, match="missing"):
        audit.write_checkpoint()
    db.session.rollback()
    _write_events(2)  # seq 5 again, then 6: a new tail on the cut log
    with pytest.raises(audit.AuditChainError):
        audit.write_checkpoint()
    db.session.rollback()
    assert db.session.scalar(select(func.count(audit.AuditCheckpoint.id))) == 1


def test_first_checkpoint_checks_the_whole_chain(app):
    _write_events(3)
    db.session.execute(text("UPDATE audit_events SET details = '{}' WHERE seq = 1"))
    db.session.commit()
    with pytest.raises(audit.AuditChainError, match="altered"):
        audit.write_checkpoint()


def test_checkpoint_command_prints_a_line_that_verify_accepts(app, tmp_path):
    _write_events(3)
    runner = app.test_cli_runner()
    result = runner.invoke(audit_checkpoint_command)
    assert result.exit_code == 0, result.output
    row = audit.newest_checkpoint()
    assert row.seq == 3
    head = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 3))
    assert f"seq         3\n  head hash   {head}\n" in result.output
    assert f"public key  {audit.public_key()}" in result.output
    assert f"signature   {row.signature}" in result.output
    line = result.output.strip().splitlines()[-1]
    assert line == row.as_checkpoint().to_line()
    assert line.startswith(f"ngo-checkpoint/1 audit 3 {head} ")

    as_string = runner.invoke(audit_verify_command, ["--checkpoint", line])
    assert as_string.exit_code == 0, as_string.output
    assert "1 signed checkpoint(s) agree" in as_string.output
    kept = tmp_path / "kept-elsewhere.txt"
    kept.write_text(result.output)
    as_file = runner.invoke(audit_verify_command, ["--checkpoint", str(kept)])
    assert as_file.exit_code == 0, as_file.output
    assert "It contains event 3" in as_file.output


def test_kept_checkpoint_catches_a_cut_that_also_removed_the_stored_checkpoints(app):
    _write_events(5)
    line = _checkpoint().as_checkpoint().to_line()
    db.session.execute(text("DELETE FROM audit_events WHERE seq > 3"))
    db.session.execute(text("DELETE FROM audit_checkpoints"))
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(audit_verify_command).exit_code == 0  # the database alone cannot tell
    result = runner.invoke(audit_verify_command, ["--checkpoint", line])
    assert result.exit_code == 1
    assert "BROKEN at event 4" in result.output
    assert "entries 4 to 5 are missing" in result.output


def test_verify_refuses_an_unreadable_or_foreign_checkpoint(app):
    _write_events(1)
    runner = app.test_cli_runner()
    garbage = runner.invoke(audit_verify_command, ["--checkpoint", "ngo-checkpoint/1 audit x"])
    assert garbage.exit_code != 0
    assert "Not a checkpoint" in garbage.output
    head = db.session.scalar(select(AuditEvent.hash))
    foreign = Checkpoint("audit", 1, head, utcnow()).signed(Ed25519PrivateKey.generate())
    result = runner.invoke(audit_verify_command, ["--checkpoint", foreign.to_line()])
    assert result.exit_code == 1
    assert "not by this deployment's key" in result.output


def test_checkpoint_command_writes_nothing_for_a_broken_chain(app):
    _write_events(3)
    db.session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 2"))
    db.session.commit()
    result = app.test_cli_runner().invoke(audit_checkpoint_command)
    assert result.exit_code == 1
    assert "No checkpoint written" in result.output
    assert "BROKEN at event 2" in result.output
    assert audit.newest_checkpoint() is None


def test_public_key_command_prints_the_checking_key(app):
    result = app.test_cli_runner().invoke(audit_public_key_command)
    assert result.exit_code == 0
    assert result.output.strip() == audit.public_key()
    assert len(base64.b64decode(result.output.strip())) == 32


def test_hourly_task_signs_only_a_head_that_moved(app, caplog):
    assert "audit.write_checkpoint" in app.extensions["celery"].tasks
    _write_events(2)
    with caplog.at_level("INFO", logger="ngo.audit"):
        assert audit.write_audit_checkpoint_task.delay().get() == 2
    assert "audit checkpoint ngo-checkpoint/1 audit 2 " in caplog.text
    assert audit.write_audit_checkpoint_task.delay().get() is None
    _write_events(1)
    assert audit.write_audit_checkpoint_task.delay().get() == 3
    assert db.session.scalar(select(func.count(audit.AuditCheckpoint.id))) == 2
    assert audit.verify_chain().checkpoints_checked == 2
    # Imported last: importing the worker package builds its own app and makes it the default.
    from worker.beat import beat_schedule

    schedule = {e["task"]: e["schedule"] for e in beat_schedule(app.config).values()}
    assert schedule["audit.write_checkpoint"] <= 3600


def test_audit_page_reports_a_cut_after_a_checkpoint(admin_client):
    _write_events(3)
    _checkpoint()
    checked = admin_client.post("/admin/audit/verify").get_data(as_text=True)
    assert "The chain is intact" in checked
    assert "Signed checkpoints that agree with it: 1." in checked
    db.session.execute(text("DELETE FROM audit_events WHERE seq > 2"))
    db.session.commit()
    broken = admin_client.post("/admin/audit/verify").get_data(as_text=True)
    assert "The chain is broken at entry 3." in broken
    assert "missing" in broken


def test_checkpoints_that_go_backwards_are_a_truncation():
    key = Ed25519PrivateKey.generate()
    now = utcnow()
    first = Checkpoint("audit", 5, "a" * 64, now, number=1).signed(key)
    second = Checkpoint("audit", 3, "b" * 64, now, number=2).signed(key)
    found = chain.check_checkpoints(
        [first, second], public_key=key.public_key(), head_seq=5, hash_at={5: "a" * 64}
    )
    assert found is not None
    seq, kind, problem = found
    assert (seq, kind) == (4, "truncated")
    assert "moved backwards" in problem


def test_checkpoint_line_round_trips_and_signs_the_chain_name():
    key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint("audit", 7, "c" * 64, utcnow()).signed(key)
    again = Checkpoint.from_line(f"some text\n{checkpoint.to_line()}\n")
    assert again == checkpoint
    assert again.signature_valid(key.public_key())
    ledger = Checkpoint("ledger", 7, "c" * 64, checkpoint.created_at, checkpoint.signature)
    assert not ledger.signature_valid(key.public_key())


def test_an_event_written_as_a_row_chains_and_hashes_as_one_written_as_a_model(app):
    audit.record("test.model", actor_id=1, organisation_id=1, object_type="thing", object_id=1)
    seq = audit.record_row(
        "test.row",
        actor_id=None,
        organisation_id=1,
        object_type="thing",
        object_id=2,
        details={"via": "stripe", "amount_minor": 2_500},
    )
    audit.record("test.model", actor_id=1, organisation_id=1, object_type="thing", object_id=3)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [(e.seq, e.action, e.object_id) for e in events] == [
        (1, "test.model", "1"),
        (2, "test.row", "2"),
        (3, "test.model", "3"),
    ]
    row = events[1]
    assert seq == 2 and row.actor_id is None
    assert row.details == {"via": "stripe", "amount_minor": 2_500}
    assert row.prev_hash == events[0].hash and events[2].prev_hash == row.hash
    assert row.hash == row.compute_hash()
    assert audit.verify_chain().ok
    # Altered afterwards, it is caught as any event is.
    db.session.execute(text("UPDATE audit_events SET object_id = '9' WHERE seq = 2"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.broken_at_seq == 2


def test_an_append_in_a_database_without_the_head_row_goes_on_from_the_newest_event(app):
    # A schema made from the models (or a head row lost) has no head: the newest event is it.
    _write_events(3)
    db.session.execute(text("DELETE FROM chain_heads"))
    db.session.commit()
    # What the transaction remembers of the heads it locked goes with a real commit; the
    # tests' commit releases a savepoint of the test's transaction.
    deferred_writes.transaction_state(db.session.connection()).clear()
    _write_events(1)
    assert db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all() == [1, 2, 3, 4]
    assert audit.verify_chain().ok
    if db.engine.dialect.name == "postgresql":  # SQLite reads the head from the entries
        head = db.session.execute(text("SELECT seq FROM chain_heads WHERE name = 'audit'"))
        assert head.scalar() == 4
