"""treasury: a note on gifts entered by hand

A treasurer's note on a cash or other gift (where and how it came) may name people, so it is an
encrypted column (LargeBinary holding a Fernet token), like a gift's message. Gifts a second
person turns down get the status "rejected", which needs no schema change (status is text).

Revision ID: 4c1e7a2b9d30
Revises: df8970c99db4
Create Date: 2026-12-02 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4c1e7a2b9d30"
down_revision = "df8970c99db4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_column("note")
