"""provider event headers, checkout payment reference, early-payment discount

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provider_events") as table:
        table.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    op.execute("UPDATE provider_events SET headers = '{}'")
    with op.batch_alter_table("provider_events") as table:
        table.alter_column("headers", existing_type=sa.JSON(), nullable=False)
    op.add_column("checkouts", sa.Column("payment_reference", sa.String(length=255), nullable=True))
    op.create_index("ix_checkouts_provider_payment", "checkouts", ["provider", "payment_reference"])
    op.add_column(
        "invoices",
        sa.Column("early_discount", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "invoices",
        sa.Column("early_discount_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("invoices", "early_discount_until")
    op.drop_column("invoices", "early_discount")
    op.drop_index("ix_checkouts_provider_payment", table_name="checkouts")
    op.drop_column("checkouts", "payment_reference")
    with op.batch_alter_table("provider_events") as table:
        table.drop_column("headers")
