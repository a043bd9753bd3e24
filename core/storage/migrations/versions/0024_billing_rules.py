"""Billing rules: the merchant's ordered rules, and what they chose for an invoice (payment
methods, channel)

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("billing_rules", sa.JSON(), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("allowed_methods", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("preferred_channel", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("preferred_channel")
        batch.drop_column("allowed_methods")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("billing_rules")
