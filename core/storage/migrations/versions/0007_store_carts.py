"""store carts (abandoned checkouts), the merchant's abandoned-cart delay and SMS hours

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(
            sa.Column("cart_delay_minutes", sa.Integer(), server_default="60", nullable=False)
        )
        batch.add_column(sa.Column("sms_opens", sa.Integer(), server_default="8", nullable=False))
        batch.add_column(sa.Column("sms_closes", sa.Integer(), server_default="20", nullable=False))
    op.create_table(
        "store_carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body_ciphertext", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("abandon_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("order_ref", sa.String(length=255), nullable=True),
        sa.Column("created_ref", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_store_carts_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_store_carts_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_carts_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_carts")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_store_carts_invoice_id")),
        sa.UniqueConstraint("store_id", "token", name=op.f("uq_store_carts_store_id_token")),
    )
    op.create_index(op.f("ix_store_carts_merchant_id"), "store_carts", ["merchant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_store_carts_merchant_id"), table_name="store_carts")
    op.drop_table("store_carts")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("sms_closes")
        batch.drop_column("sms_opens")
        batch.drop_column("cart_delay_minutes")
