"""Bank reconciliation: invoices.reference_key (what of the number survives a transfer),
bank_statements, bank_lines, bank_line_shares, bank_csv_profiles, provider_payouts and payout_items

Revision ID: 0014
Revises: 0013
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STATE = ("matched", "unmatched", "ignored", "debit", "reversal", "reversed", "payout")
DIRECTION = ("credit", "debit")


def _reference_key(number: str) -> str:
    # core.reconcile.reference_key as of this revision (a migration never imports live code).
    return re.sub(r"[^0-9A-Za-z]", "", number).upper()[-21:]


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("reference_key", sa.String(21), nullable=True))
    connection = op.get_bind()
    invoices = sa.table(
        "invoices", sa.column("id"), sa.column("number"), sa.column("reference_key")
    )
    rows = connection.execute(sa.select(invoices.c.id, invoices.c.number)).fetchall()
    for start in range(0, len(rows), 1000):
        connection.execute(
            invoices.update().where(invoices.c.id == sa.bindparam("row_id")),
            [
                {"row_id": row.id, "reference_key": _reference_key(row.number)}
                for row in rows[start : start + 1000]
            ],
        )
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("reference_key", existing_type=sa.String(21), nullable=False)
        batch.create_index("ix_invoices_merchant_reference_key", ["merchant_id", "reference_key"])
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_bank_statements_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column("account_iban", sa.String(34), nullable=False),
        sa.Column("statement_ref", sa.String(140), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_statements"),
        sa.UniqueConstraint(
            "merchant_id",
            "account_iban",
            "statement_ref",
            name="uq_bank_statements_merchant_id_account_iban_statement_ref",
        ),
    )
    op.create_table(
        "bank_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_bank_lines_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column(
            "statement_id",
            sa.Integer(),
            sa.ForeignKey("bank_statements.id", name="fk_bank_lines_statement_id_bank_statements"),
            nullable=False,
        ),
        sa.Column("account_iban", sa.String(34), nullable=False),
        sa.Column("line_key", sa.String(200), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                *STATE, name="bank_line_state", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum(
                *DIRECTION,
                name="bank_line_direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reversal", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("bank_reference", sa.String(140), nullable=True),
        sa.Column("end_to_end_id", sa.String(140), nullable=True),
        sa.Column("structured_references", sa.JSON(), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("debtor_name", sa.String(140), nullable=True),
        sa.Column("debtor_iban", sa.String(34), nullable=True),
        sa.Column("rule", sa.String(32), nullable=True),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column(
            "reverses_line_id",
            sa.Integer(),
            sa.ForeignKey("bank_lines.id", name="fk_bank_lines_reverses_line_id_bank_lines"),
            nullable=True,
        ),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_lines"),
        sa.UniqueConstraint(
            "merchant_id",
            "account_iban",
            "line_key",
            name="uq_bank_lines_merchant_id_account_iban_line_key",
        ),
    )
    op.create_index("ix_bank_lines_statement_id", "bank_lines", ["statement_id"])
    op.create_index("ix_bank_lines_merchant_state", "bank_lines", ["merchant_id", "state", "id"])
    op.create_table(
        "bank_line_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "line_id",
            sa.Integer(),
            sa.ForeignKey("bank_lines.id", name="fk_bank_line_shares_line_id_bank_lines"),
            nullable=False,
        ),
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", name="fk_bank_line_shares_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "payment_id",
            sa.Integer(),
            sa.ForeignKey("payments.id", name="fk_bank_line_shares_payment_id_payments"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bank_line_shares"),
        sa.UniqueConstraint("line_id", "invoice_id", name="uq_bank_line_shares_line_id_invoice_id"),
    )
    op.create_index("ix_bank_line_shares_invoice_id", "bank_line_shares", ["invoice_id"])

    op.create_table(
        "bank_csv_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_bank_csv_profiles_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_csv_profiles"),
        sa.UniqueConstraint("merchant_id", "name", name="uq_bank_csv_profiles_merchant_id_name"),
    )

    _payouts()


def _payouts() -> None:
    op.create_table(
        "provider_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_provider_payouts_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey(
                "payment_accounts.id", name="fk_provider_payouts_account_id_payment_accounts"
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("payout_ref", sa.String(255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fees", sa.BigInteger(), nullable=False),
        sa.Column("arrival_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bank_reference", sa.String(140), nullable=True),
        sa.Column(
            "bank_line_id",
            sa.Integer(),
            sa.ForeignKey("bank_lines.id", name="fk_provider_payouts_bank_line_id_bank_lines"),
            nullable=True,
        ),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_provider_payouts"),
        sa.UniqueConstraint(
            "account_id", "payout_ref", name="uq_provider_payouts_account_id_payout_ref"
        ),
        sa.UniqueConstraint("bank_line_id", name="uq_provider_payouts_bank_line_id"),
    )
    op.create_index(
        "ix_provider_payouts_merchant_waiting",
        "provider_payouts",
        ["merchant_id", "amount", "bank_line_id"],
    )
    op.create_table(
        "payout_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "payout_id",
            sa.Integer(),
            sa.ForeignKey("provider_payouts.id", name="fk_payout_items_payout_id_provider_payouts"),
            nullable=False,
        ),
        sa.Column("provider_payment_id", sa.String(255), nullable=False),
        sa.Column(
            "payment_id",
            sa.Integer(),
            sa.ForeignKey("payments.id", name="fk_payout_items_payment_id_payments"),
            nullable=True,
        ),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payout_items"),
        sa.UniqueConstraint(
            "payout_id", "provider_payment_id", name="uq_payout_items_payout_id_provider_payment_id"
        ),
    )
    op.create_index("ix_payout_items_payment_id", "payout_items", ["payment_id"])


def downgrade() -> None:
    op.drop_table("payout_items")
    op.drop_table("provider_payouts")
    op.drop_table("bank_csv_profiles")
    op.drop_table("bank_line_shares")
    op.drop_table("bank_lines")
    op.drop_table("bank_statements")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_index("ix_invoices_merchant_reference_key")
        batch.drop_column("reference_key")
