"""outside references unique per tenant: payments and refunds per merchant, checkouts and
provider events per payment account, store events per store

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (table, the old unique columns, the new ones)
UNIQUES = [
    (
        "payments",
        ["provider", "provider_payment_id"],
        ["merchant_id", "provider", "provider_payment_id"],
    ),
    (
        "refunds",
        ["provider", "provider_refund_id"],
        ["merchant_id", "provider", "provider_refund_id"],
    ),
    ("checkouts", ["provider", "provider_reference"], ["account_id", "provider_reference"]),
    ("provider_events", ["provider", "event_key"], ["account_id", "event_key"]),
    ("store_events", ["platform", "event_key"], ["store_id", "event_key"]),
]


def _name(table: str, columns: list[str]) -> str:
    return op.f(f"uq_{table}_{'_'.join(columns)}")


def upgrade() -> None:
    for table in ("payments", "refunds"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("merchant_id", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {table} SET merchant_id = "  # noqa: S608 (a constant table name)
            f"(SELECT merchant_id FROM invoices WHERE invoices.id = {table}.invoice_id)"
        )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("merchant_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(
                op.f(f"fk_{table}_merchant_id_merchants"), "merchants", ["merchant_id"], ["id"]
            )
    for table, old, new in UNIQUES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table, old), type_="unique")
            batch.create_unique_constraint(_name(table, new), new)
    op.drop_index("ix_checkouts_provider_payment", table_name="checkouts")
    op.create_index(
        "ix_checkouts_account_payment", "checkouts", ["account_id", "payment_reference"]
    )


def downgrade() -> None:
    op.drop_index("ix_checkouts_account_payment", table_name="checkouts")
    op.create_index("ix_checkouts_provider_payment", "checkouts", ["provider", "payment_reference"])
    for table, old, new in UNIQUES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table, new), type_="unique")
            batch.create_unique_constraint(_name(table, old), old)
    for table in ("payments", "refunds"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_merchant_id_merchants"), type_="foreignkey")
            batch.drop_column("merchant_id")
