"""invoices.shop_currency, shop_total: an order in the customer's currency, as its store
converted it

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("shop_currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("shop_total", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("shop_total")
        batch.drop_column("shop_currency")
