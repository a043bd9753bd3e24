"""message and cart statuses as checked enums (a status outside the list cannot be stored)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MESSAGE_STATUSES = ("queued", "stored", "sent", "delivered", "failed", "cancelled")
CART_STATUSES = ("open", "invoiced", "ordered", "recovered", "unreachable")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=_enum(MESSAGE_STATUSES, "message_status"),
            existing_nullable=False,
        )
    with op.batch_alter_table("store_carts") as batch:
        batch.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=_enum(CART_STATUSES, "cart_status"),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("store_carts") as batch:
        batch.drop_constraint("ck_store_carts_cart_status", type_="check")
        batch.alter_column("status", existing_type=sa.String(length=32), type_=sa.String(length=16))
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("ck_messages_message_status", type_="check")
        batch.alter_column("status", existing_type=sa.String(length=32), type_=sa.String(length=16))
