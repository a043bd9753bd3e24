"""A/B tests of messages: experiments and experiment_assignments

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_experiments_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("b_sms", sa.Text(), nullable=False),
        sa.Column("b_subject", sa.Text(), nullable=False),
        sa.Column("b_body", sa.Text(), nullable=False),
        sa.Column("b_percent", sa.Integer(), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("winner", sa.String(16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_experiments"),
    )
    op.create_index("ix_experiments_merchant_status", "experiments", ["merchant_id", "status"])
    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey(
                "experiments.id", name="fk_experiment_assignments_experiment_id_experiments"
            ),
            nullable=False,
        ),
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", name="fk_experiment_assignments_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiment_assignments"),
        sa.UniqueConstraint(
            "experiment_id",
            "invoice_id",
            name="uq_experiment_assignments_experiment_id_invoice_id",
        ),
    )
    op.create_index(
        "ix_experiment_assignments_invoice_id", "experiment_assignments", ["invoice_id"]
    )


def downgrade() -> None:
    op.drop_table("experiment_assignments")
    op.drop_table("experiments")
