"""store events inbox (connector webhooks)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_events_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_events")),
        sa.UniqueConstraint(
            "platform", "event_key", name=op.f("uq_store_events_platform_event_key")
        ),
    )
    op.create_index("ix_store_events_store_received", "store_events", ["store_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_store_events_store_received", table_name="store_events")
    op.drop_table("store_events")
