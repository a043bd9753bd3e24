"""daily_figures (the dashboard's rollups) and payments by merchant and day received

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COUNTS = (
    "sent", "viewed", "started", "paid", "due", "late", "cart_sent", "cart_paid", "sms_segments",
)  # fmt: skip
AMOUNTS = ("collected", "cart_collected", "sms_cost_micros")


def upgrade() -> None:
    op.create_table(
        "daily_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_daily_figures_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in AMOUNTS),
        sa.Column("delay_hours", sa.JSON(), nullable=False),
        sa.Column("paid_after_step", sa.JSON(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_daily_figures"),
        sa.UniqueConstraint("merchant_id", "day", name="uq_daily_figures_merchant_id_day"),
    )
    op.create_index("ix_payments_merchant_received", "payments", ["merchant_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_payments_merchant_received", "payments")
    op.drop_table("daily_figures")
