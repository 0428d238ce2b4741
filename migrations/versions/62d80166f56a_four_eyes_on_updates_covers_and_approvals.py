"""four eyes on updates, covers and approvals

Updates get a review life (draft, in review, published) with their author, submitter,
editors, approver and the digest approved; appeals record their editors and approved digest;
public images keep unapproved bytes sealed (encrypted) beside the clear public copy; review
snapshots keep what reviewers read. Existing updates and images were public: they stay so.

Revision ID: 62d80166f56a
Revises: 8a7f53e907be
Create Date: 2026-12-01 06:47:44.103305

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "62d80166f56a"
down_revision = "8a7f53e907be"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'")


def _sqlite_foreign_keys_off():
    """SQLite copies a table to change it (batch mode); with foreign keys enforced, dropping
    the old copy would cascade into the tables that refer to it (update deliveries, the
    updates' photos). Alembic's documented way: switch enforcement off for the copies. The
    application's connections switch it on again when they connect."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
        # Inside an open transaction SQLite ignores the pragma: stop before any copy.
        raise RuntimeError("could not switch off SQLite foreign key enforcement")


def _sqlite_references_hold():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign key check failed after the migration: {problems[:5]}")


def upgrade():
    _sqlite_foreign_keys_off()
    op.create_table(
        "review_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_review_snapshots_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["appeal_updates.id"],
            name=op.f("fk_review_snapshots_update_id_appeal_updates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_snapshots")),
    )
    with op.batch_alter_table("review_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_snapshots_appeal_id_digest", ["appeal_id", "digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_snapshots_update_id"), ["update_id"], unique=False
        )

    # New NOT NULL columns arrive with a default for the existing rows, which the data
    # migration below then sets to their real values; the defaults go again at the end (the
    # application always writes these columns, and a forgotten one must not default to public).
    with op.batch_alter_table("appeal_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="draft")
        )
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("editor_ids", sa.JSON(), nullable=False, server_default=_EMPTY_LIST)
        )
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_digest", sa.String(length=64), nullable=True))
        batch_op.alter_column("posted_at", existing_type=sa.DateTime(), nullable=True)
        batch_op.create_index("ix_appeal_updates_state_urgent", ["state", "urgent"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appeal_updates_submitted_by_id_users"),
            "users",
            ["submitted_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appeal_updates_approved_by_id_users"),
            "users",
            ["approved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Added in place, never copied: the default stays (the model declares it too).
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("editor_ids", sa.JSON(), nullable=False, server_default=_EMPTY_LIST)
        )
        batch_op.add_column(sa.Column("approved_digest", sa.String(length=64), nullable=True))

    with op.batch_alter_table("public_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_content", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("sha256", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)

    _existing_content_stays_public()

    with op.batch_alter_table("appeal_updates", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column("urgent", existing_type=sa.Boolean(), server_default=None)
        batch_op.alter_column("editor_ids", existing_type=sa.JSON(), server_default=None)
        batch_op.alter_column("created_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("public_images", schema=None) as batch_op:
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), server_default=None)
    _sqlite_references_hold()


def _existing_content_stays_public():
    """Every update so far was posted live, and every image served: they were public before
    this revision and stay public (published, approved), in clear as before."""
    bind = op.get_bind()
    updates = sa.table(
        "appeal_updates",
        sa.column("state", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("posted_at", sa.DateTime),
    )
    bind.execute(
        updates.update().values(state="published", created_at=updates.c.posted_at)
    )
    images = sa.table(
        "public_images",
        sa.column("id", sa.Integer),
        sa.column("content", sa.LargeBinary),
        sa.column("sha256", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("approved_at", sa.DateTime),
    )
    bind.execute(images.update().values(approved_at=images.c.created_at))
    # One row at a time: images are up to 10 MB each.
    ids = [row.id for row in bind.execute(sa.select(images.c.id).order_by(images.c.id))]
    for image_id in ids:
        content = bind.execute(
            sa.select(images.c.content).where(images.c.id == image_id)
        ).scalar_one()
        bind.execute(
            images.update()
            .where(images.c.id == image_id)
            .values(sha256=hashlib.sha256(bytes(content or b"")).hexdigest())
        )


def downgrade():
    _sqlite_foreign_keys_off()
    # Unapproved updates and images did not exist before this revision: they go.
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "DELETE FROM update_deliveries WHERE update_id IN "
            "(SELECT id FROM appeal_updates WHERE state <> 'published')"
        )
    )
    bind.execute(sa.text("DELETE FROM appeal_updates WHERE state <> 'published'"))
    bind.execute(
        sa.text(
            "UPDATE appeal_updates SET image_id = NULL WHERE image_id IN "
            "(SELECT id FROM public_images WHERE approved_at IS NULL)"
        )
    )
    bind.execute(sa.text("DELETE FROM public_images WHERE approved_at IS NULL"))
    with op.batch_alter_table("public_images", schema=None) as batch_op:
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("approved_at")
        batch_op.drop_column("sha256")
        batch_op.drop_column("sealed_content")

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("approved_digest")
        batch_op.drop_column("editor_ids")

    with op.batch_alter_table("appeal_updates", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeal_updates_approved_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appeal_updates_submitted_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index("ix_appeal_updates_state_urgent")
        batch_op.alter_column("posted_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column("approved_digest")
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("return_reason")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("submitted_by_id")
        batch_op.drop_column("editor_ids")
        batch_op.drop_column("created_at")
        batch_op.drop_column("urgent")
        batch_op.drop_column("state")

    with op.batch_alter_table("review_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_snapshots_update_id"))
        batch_op.drop_index("ix_review_snapshots_appeal_id_digest")

    op.drop_table("review_snapshots")
    _sqlite_references_hold()
