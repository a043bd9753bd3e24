"""Invoice documents: the merchant's legal details, a business buyer's, and the documents made

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("legal_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("siren", sa.String(9), nullable=True))
        batch.add_column(sa.Column("vat_number", sa.String(20), nullable=True))
        batch.add_column(sa.Column("street", sa.String(200), nullable=True))
        batch.add_column(sa.Column("postcode", sa.String(12), nullable=True))
        batch.add_column(sa.Column("city", sa.String(100), nullable=True))
        batch.add_column(sa.Column("legal_mentions", sa.String(300), nullable=True))
        batch.add_column(sa.Column("penalty_rate", sa.String(8), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("buyer", sa.JSON(), nullable=True))
    op.create_table(
        "invoice_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("facturx", sa.Boolean(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("invoice_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("invoice_documents")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("buyer")
    with op.batch_alter_table("merchants") as batch:
        for column in (
            "penalty_rate", "legal_mentions", "city", "postcode", "street", "vat_number",
            "siren", "legal_name",
        ):  # fmt: skip
            batch.drop_column(column)
