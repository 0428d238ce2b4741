"""receipts: mail_failed_at, mail_failure, a receipt's e-mail refused for good

An annual receipt belongs to no single gift, so its refusal is noted on the receipt itself
(a gift's receipt notes it on the gift, donations.mail_failed_at). Existing rows get NULL.

Revision ID: 3c1e2a9b7f40
Revises: d7daaa4096b4
Create Date: 2026-12-02 03:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c1e2a9b7f40"
down_revision = "d7daaa4096b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_failed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("mail_failure", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("mail_failure")
        batch_op.drop_column("mail_failed_at")
