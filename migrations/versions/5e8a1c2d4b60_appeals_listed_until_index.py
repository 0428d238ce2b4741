"""appeals: index on listed, listed_until for counting the public list

The public list counts the listed appeals on every page. Counted as "listed, and not run
out", SQLite compares each listed appeal's end (10,000 of them: 0.75 ms); counted as "listed"
less "listed and run out", both counts are read from this index alone (0.2 ms).

Revision ID: 5e8a1c2d4b60
Revises: 3c1e2a9b7f40
Create Date: 2026-12-02 06:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e8a1c2d4b60"
down_revision = "3c1e2a9b7f40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_appeals_listed_until", "appeals", ["listed", "listed_until"], unique=False
    )


def downgrade():
    op.drop_index("ix_appeals_listed_until", table_name="appeals")
