"""acquisition_spend, daily_figures.new_payers (the dashboard's acquisition cost) and by_store

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_figures") as batch:
        batch.add_column(sa.Column("new_payers", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("by_store", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "acquisition_spend",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(60), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entered_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("merchant_id", "month", "channel"),
    )


def downgrade() -> None:
    op.drop_table("acquisition_spend")
    with op.batch_alter_table("daily_figures") as batch:
        batch.drop_column("by_store")
        batch.drop_column("new_payers")
