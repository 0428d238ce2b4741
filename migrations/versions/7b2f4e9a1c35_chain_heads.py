"""chain_heads: each chained log's newest seq and hash, the row its appends lock

An append to the audit log or the ledger took an advisory lock and then read the newest
entry: two statements, inside the appeal's lock while a gift is confirmed. The head's row,
read with SELECT ... FOR UPDATE, does both in one. Filled from the logs' newest entries.

Revision ID: 7b2f4e9a1c35
Revises: 5e8a1c2d4b60
Create Date: 2026-12-03 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b2f4e9a1c35"
down_revision = "5e8a1c2d4b60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chain_heads",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_chain_heads")),
    )
    for name, table in (("audit", "audit_events"), ("ledger", "ledger_transactions")):
        op.execute(
            f"INSERT INTO chain_heads (name, seq, hash) "
            f"SELECT '{name}', seq, hash FROM {table} ORDER BY seq DESC LIMIT 1"
        )


def downgrade():
    op.drop_table("chain_heads")
