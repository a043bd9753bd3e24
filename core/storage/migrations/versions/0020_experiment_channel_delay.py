"""experiments.b_channel and b_delay_hours: variant B may also change the channel and the hour

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("b_channel", sa.String(8), nullable=True))
        batch.add_column(
            sa.Column("b_delay_hours", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("b_delay_hours")
        batch.drop_column("b_channel")
