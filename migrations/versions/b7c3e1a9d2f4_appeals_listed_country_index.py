"""appeals: index on listed, country for the public list's country filter

The country filter offers the countries the listed appeals are in. With this index the query
seeks once per country (a loose index scan) instead of reading every listed appeal.

Revision ID: b7c3e1a9d2f4
Revises: 62d80166f56a
Create Date: 2026-12-01 10:45:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c3e1a9d2f4"
down_revision = "62d80166f56a"
branch_labels = None
depends_on = None


def upgrade():
    # An index alone needs no copy of the table, on SQLite either.
    op.create_index(
        "ix_appeals_listed_country", "appeals", ["listed", "country", "listed_until"], unique=False
    )


def downgrade():
    op.drop_index("ix_appeals_listed_country", table_name="appeals")
