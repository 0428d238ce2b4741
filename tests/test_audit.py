from __future__ import annotations

from sqlalchemy import select, text

from ngo import audit
from ngo.audit import AuditEvent
from ngo.cli import audit_verify_command
from ngo.extensions import db


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
    assert "user.logged_in" in page
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
