"""daily_figures.by_channel, by_method and provider_fees

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_figures") as batch:
        batch.add_column(sa.Column("by_channel", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("by_method", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("provider_fees", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("daily_figures") as batch:
        batch.drop_column("provider_fees")
        batch.drop_column("by_method")
        batch.drop_column("by_channel")
