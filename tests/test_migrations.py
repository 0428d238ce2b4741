"""The migrations are the only way the schema is made: they must agree with the models."""

from __future__ import annotations

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
