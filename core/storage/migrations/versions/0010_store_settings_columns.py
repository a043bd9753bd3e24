"""store settings and state in typed columns (the encrypted credentials hold secrets only):
connected_at, invoice_gateways, polled_until, webhooks_ready

Revision ID: 0010
Revises: 0009

Values an older version kept inside the encrypted credentials are moved by
`paylink migrate` (which holds the keys) through `accounts.move_settings_out_of_credentials`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("invoice_gateways", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("polled_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("webhooks_ready", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("webhooks_ready")
        batch.drop_column("polled_until")
        batch.drop_column("invoice_gateways")
        batch.drop_column("connected_at")
