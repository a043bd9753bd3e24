"""payment_accounts.verified_at: when the connection test last passed with the stored
credentials; accounts already offered to customers count as verified when they were made

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_accounts") as batch:
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE payment_accounts SET verified_at = created_at WHERE enabled")


def downgrade() -> None:
    with op.batch_alter_table("payment_accounts") as batch:
        batch.drop_column("verified_at")
