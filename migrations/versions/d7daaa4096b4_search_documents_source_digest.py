"""appeal_search_documents: source_digest, what each document was folded from

`flask reconcile-listings` folds again only the documents whose digest is not the current one.
Existing rows get NULL: the first reconcile after the upgrade folds each once more.

Revision ID: d7daaa4096b4
Revises: 6fa5bf8cc24a
Create Date: 2026-12-01 20:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7daaa4096b4"
down_revision = "6fa5bf8cc24a"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, also on SQLite: a batch copy of the table would drop the triggers
    # that keep its FTS5 index (campaigns.search).
    op.add_column(
        "appeal_search_documents", sa.Column("source_digest", sa.String(length=64), nullable=True)
    )


def downgrade():
    # SQLite drops a column in place since 3.35, keeping the table's triggers.
    op.drop_column("appeal_search_documents", "source_digest")
