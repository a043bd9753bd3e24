"""invoices.viewed_at: the first time the customer opened the payment page, so a repeat view
needs no durable write (it was a timeline row per view)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE invoices SET viewed_at = (SELECT min(t.at) FROM timeline_events t "
        "WHERE t.invoice_id = invoices.id AND t.kind = 'viewed')"
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("viewed_at")
