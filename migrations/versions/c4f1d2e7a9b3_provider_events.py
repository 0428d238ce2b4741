"""provider events: the Stripe webhook's record of the events it handled, by event id

Revision ID: c4f1d2e7a9b3
Revises: 4c1e7a2b9d30
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4f1d2e7a9b3"
down_revision = "4c1e7a2b9d30"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
        sa.UniqueConstraint("provider", "event_id", name=op.f("uq_provider_events_provider")),
    )


def downgrade():
    op.drop_table("provider_events")
