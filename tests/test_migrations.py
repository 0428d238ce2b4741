"""The migrations are the only way the schema is made: they must agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from ngo import create_app
from ngo.extensions import db, include_in_migrations
from tests.conftest import SERVICES, _base_config


def _differences() -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_object": include_in_migrations,
            },
        )
        return compare_metadata(context, db.metadata)


def test_migration_head_matches_models(tmp_path, monkeypatch, migrated_test_database):
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path))
    app = create_app(_base_config(tmp_path))
    with app.app_context():
        if not SERVICES:
            upgrade()  # a fresh SQLite file, built only by the migrations
        # On PostgreSQL the session fixture already built the schema with the migrations.
        assert _differences() == []
        db.engine.dispose()


def test_upgrade_is_repeatable(tmp_path, monkeypatch, migrated_test_database):
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path))
    app = create_app(_base_config(tmp_path))
    with app.app_context():
        upgrade()
        upgrade()
        assert _differences() == []
        db.engine.dispose()


# The revision that keys the audit chain -------------------------------------------------------

BEFORE_KEYED_AUDIT = "0f39d6f16642"


def _legacy_events(count: int) -> list[str]:
    """Rows as the unkeyed SHA-256 chain wrote them; returns their hashes."""
    import hashlib
    import json
    from datetime import datetime

    from sqlalchemy import text

    prev, hashes = "0" * 64, []
    for seq in range(1, count + 1):
        occurred = datetime(2026, 11, 30, 12, 0, seq, 123456)
        fields = [seq, occurred.strftime("%Y-%m-%dT%H:%M:%S.%f"), 1, 1, "test.event", "thing"]
        fields += [str(seq), {"i": seq}, prev]
        digest = hashlib.sha256(
            json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        db.session.execute(
            text(
                "INSERT INTO audit_events (seq, occurred_at, actor_id, organisation_id, action,"
                " object_type, object_id, details, prev_hash, hash) VALUES (:seq, :at, 1, 1,"
                " 'test.event', 'thing', :oid, :details, :prev, :hash)"
            ),
            {
                "seq": seq,
                "at": occurred,
                "oid": str(seq),
                "details": json.dumps({"i": seq}),
                "prev": prev,
                "hash": digest,
            },
        )
        prev = digest
        hashes.append(digest)
    db.session.commit()
    return hashes


def _fresh_sqlite_app(tmp_path, monkeypatch):
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path))
    return create_app(
        {**_base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"}
    )


def test_existing_unkeyed_audit_log_is_keyed_and_checkpointed(tmp_path, monkeypatch):
    from flask_migrate import downgrade

    from ngo import audit

    app = _fresh_sqlite_app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade(revision=BEFORE_KEYED_AUDIT)
        legacy = _legacy_events(4)
        upgrade()
        db.session.expire_all()
        report = audit.verify_chain()
        assert report.ok, report.problem
        assert report.events_checked == 5
        assert report.checkpoints_checked == 1
        events = db.session.scalars(db.select(audit.AuditEvent).order_by(audit.AuditEvent.seq))
        events = list(events)
        assert all(e.hash not in legacy for e in events)  # no row left on the old scheme
        marker = events[-1]
        assert marker.action == "audit.chain_keyed"
        assert marker.details == {"legacy_head": legacy[-1], "legacy_events": 4}
        assert audit.newest_checkpoint().seq == 5
        # and back: the previous code finds its plain SHA-256 chain again
        downgrade(revision=BEFORE_KEYED_AUDIT)
        hashes = [h for (h,) in db.session.execute(db.text("SELECT hash FROM audit_events"))]
        assert hashes[:4] == legacy
        db.engine.dispose()


def test_a_broken_unkeyed_audit_log_is_not_keyed(tmp_path, monkeypatch, capsys):
    from sqlalchemy import inspect, text

    app = _fresh_sqlite_app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade(revision=BEFORE_KEYED_AUDIT)
        legacy = _legacy_events(3)
        db.session.execute(text("UPDATE audit_events SET action = 'innocent' WHERE seq = 2"))
        db.session.commit()
        with pytest.raises(SystemExit):  # how Flask-Migrate ends `flask db upgrade` on an error
            upgrade()
        assert "The audit log is broken at event 2" in capsys.readouterr().err
        db.session.remove()
        assert "audit_checkpoints" not in inspect(db.engine).get_table_names()
        hashes = [h for (h,) in db.session.execute(text("SELECT hash FROM audit_events"))]
        assert hashes == legacy  # nothing was re-hashed
        db.engine.dispose()
