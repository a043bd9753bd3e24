"""recurring_schedules: one invoice per period, keyed so a period is invoiced once

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recurring_schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_after", sa.Integer(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("customer_ciphertext", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("taxes_included", sa.Boolean(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("merchant_id", "reference"),
    )
    op.create_index("ix_recurring_due", "recurring_schedules", ["status", "next_on"])


def downgrade() -> None:
    op.drop_index("ix_recurring_due", table_name="recurring_schedules")
    op.drop_table("recurring_schedules")
