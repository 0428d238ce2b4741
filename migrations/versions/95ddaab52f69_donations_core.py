"""donations core: donors, donations, payments, plans, ledger; appeals' allocation policies

Donors' names and e-mails, gift messages and receipt codes are encrypted columns (LargeBinary
holding Fernet tokens). The ledger's tables are append-only by rule of the application; each
transaction is chained with a key derived from NGO_AUDIT_KEY. Existing appeals get the default
rule (priority) and policy (stretch), which is what their budget tables already said.

Revision ID: 95ddaab52f69
Revises: b7c3e1a9d2f4
Create Date: 2026-12-01 13:12:58.145051

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "95ddaab52f69"
down_revision = "b7c3e1a9d2f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=True),
        sa.Column("email", sa.LargeBinary(), nullable=True),
        sa.Column("email_index", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("wants_updates", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_donors_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
    )
    with op.batch_alter_table("donors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donors_email_index"), ["email_index"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_donors_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "recurring_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("budget_line_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_recurring_plans_appeal_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["budget_line_id"],
            ["budget_lines.id"],
            name=op.f("fk_recurring_plans_budget_line_id_budget_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_recurring_plans_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_recurring_plans_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_plans")),
        sa.UniqueConstraint("external_id", name=op.f("uq_recurring_plans_external_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_recurring_plans_public_id")),
    )
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurring_plans_appeal_id"), ["appeal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recurring_plans_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "donations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("budget_line_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("recurring_plan_id", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fee_covered_minor", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("appeal_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("rate", sa.String(length=32), nullable=True),
        sa.Column("rate_date", sa.Date(), nullable=True),
        sa.Column("rate_source", sa.String(length=16), nullable=True),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("message", sa.LargeBinary(), nullable=True),
        sa.Column("reference_code", sa.String(length=24), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("receipt_code", sa.LargeBinary(), nullable=True),
        sa.Column("receipt_code_lookup", sa.String(length=64), nullable=True),
        sa.Column("receipt_code_hash", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("reversed_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_donations_amount_positive")),
        sa.CheckConstraint(
            "fee_covered_minor >= 0", name=op.f("ck_donations_fee_covered_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_donations_appeal_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_donations_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["budget_line_id"],
            ["budget_lines.id"],
            name=op.f("fk_donations_budget_line_id_budget_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_donations_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_donations_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_donations_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recurring_plan_id"],
            ["recurring_plans.id"],
            name=op.f("fk_donations_recurring_plan_id_recurring_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_donations_idempotency_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_donations_public_id")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_donations_reference_code")),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donations_appeal_id"), ["appeal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_donations_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_donations_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_donations_receipt_code_lookup"), ["receipt_code_lookup"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_donations_recurring_plan_id"), ["recurring_plan_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_donations_status"), ["status"], unique=False)

    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("donation_id", sa.Integer(), nullable=True),
        sa.Column("disbursement_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_ledger_transactions_appeal_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_corrects_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["donation_id"],
            ["donations.id"],
            name=op.f("fk_ledger_transactions_donation_id_donations"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ledger_transactions_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("seq", name=op.f("uq_ledger_transactions_seq")),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_appeal_id"), ["appeal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_disbursement_id"), ["disbursement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_donation_id"), ["donation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_transactions_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_payments_donation_id_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_payments_provider")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_donation_id"), ["donation_id"], unique=False)

    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("budget_line_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.id"], name=op.f("fk_journal_lines_appeal_id_appeals")
        ),
        sa.ForeignKeyConstraint(
            ["budget_line_id"],
            ["budget_lines.id"],
            name=op.f("fk_journal_lines_budget_line_id_budget_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_journal_lines_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_lines_appeal_account", ["appeal_id", "account"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_lines_budget_line_id"), ["budget_line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_journal_lines_transaction_id"), ["transaction_id"], unique=False
        )

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allocation_rule", sa.String(length=16), server_default="priority", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "overfunding_policy", sa.String(length=16), server_default="stretch", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("overfunding_policy")
        batch_op.drop_column("allocation_rule")

    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_lines_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_journal_lines_budget_line_id"))
        batch_op.drop_index("ix_journal_lines_appeal_account")

    op.drop_table("journal_lines")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_donation_id"))

    op.drop_table("payments")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_donation_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_disbursement_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_transactions_appeal_id"))

    op.drop_table("ledger_transactions")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donations_status"))
        batch_op.drop_index(batch_op.f("ix_donations_recurring_plan_id"))
        batch_op.drop_index(batch_op.f("ix_donations_receipt_code_lookup"))
        batch_op.drop_index(batch_op.f("ix_donations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_donations_donor_id"))
        batch_op.drop_index(batch_op.f("ix_donations_appeal_id"))

    op.drop_table("donations")
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_plans_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_recurring_plans_appeal_id"))

    op.drop_table("recurring_plans")
    with op.batch_alter_table("donors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donors_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_donors_email_index"))

    op.drop_table("donors")
    op.drop_table("ledger_checkpoints")
