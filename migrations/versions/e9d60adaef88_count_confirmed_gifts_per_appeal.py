"""count confirmed gifts per appeal

Cards and appeal pages show how many gifts an appeal received. The count is a counter on the
appeal, moved with `raised_minor` when a gift is confirmed or stops being confirmed (refunded
in full, disputed), so that a list of appeals never counts donations. Existing appeals start
from the gifts confirmed today.

Revision ID: e9d60adaef88
Revises: 87979419ed97
Create Date: 2026-12-01 17:52:32.043247

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e9d60adaef88"
down_revision = "87979419ed97"
branch_labels = None
depends_on = None


def upgrade():
    # A constant default (not sa.text): SQLite then adds the column in place; an expression
    # would make batch mode copy the table, which its foreign keys refuse once rows exist.
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("donations_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE appeals SET donations_count = ("
        "SELECT count(*) FROM donations "
        "WHERE donations.appeal_id = appeals.id AND donations.status = 'confirmed')"
    )


def downgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("donations_count")
