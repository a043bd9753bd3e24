"""Credit notes: one per refund, in the merchant's own continuous series

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(
            sa.Column("last_credit_sequence", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("refund_id", sa.Integer(), sa.ForeignKey("refunds.id"), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facturx", sa.Boolean(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("refund_id"),
        sa.UniqueConstraint("merchant_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("credit_notes")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("last_credit_sequence")
