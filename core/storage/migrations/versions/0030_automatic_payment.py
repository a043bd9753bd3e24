"""Automatic payment of subscriptions: the saved method on the schedule, the consent on the
checkout, the charge's state on the invoice

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recurring_schedules") as batch:
        batch.add_column(sa.Column("autopay_account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("autopay_ciphertext", sa.Text(), nullable=True))
        batch.add_column(sa.Column("autopay_label", sa.String(64), nullable=True))
        batch.add_column(sa.Column("autopay_since", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_recurring_schedules_autopay_account",
            "payment_accounts",
            ["autopay_account_id"],
            ["id"],
        )
    with op.batch_alter_table("checkouts") as batch:
        batch.add_column(sa.Column("save_method", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("autopay", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("autopay")
    with op.batch_alter_table("checkouts") as batch:
        batch.drop_column("save_method")
    with op.batch_alter_table("recurring_schedules") as batch:
        batch.drop_constraint("fk_recurring_schedules_autopay_account", type_="foreignkey")
        batch.drop_column("autopay_since")
        batch.drop_column("autopay_label")
        batch.drop_column("autopay_ciphertext")
        batch.drop_column("autopay_account_id")
