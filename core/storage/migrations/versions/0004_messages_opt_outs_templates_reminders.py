"""messages (rebuilt), opt-outs, message templates, reminder scheduling columns

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing wrote messages before this revision: the table is rebuilt, not altered.
    op.drop_table("messages")
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipient_ciphertext", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=True),
        sa.Column("cost_estimate_micros", sa.BigInteger(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_messages_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_messages_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("invoice_id", "step", name=op.f("uq_messages_invoice_id_step")),
    )
    op.create_index("ix_messages_provider_id", "messages", ["provider", "provider_message_id"])
    op.create_index("ix_messages_merchant_created", "messages", ["merchant_id", "created_at"])
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact_index", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_opt_outs_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_outs")),
        sa.UniqueConstraint(
            "merchant_id",
            "channel",
            "contact_index",
            name=op.f("uq_opt_outs_merchant_id_channel_contact_index"),
        ),
    )
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_message_templates_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint(
            "merchant_id",
            "kind",
            "locale",
            "part",
            name=op.f("uq_message_templates_merchant_id_kind_locale_part"),
        ),
    )
    op.add_column("merchants", sa.Column("reminder_policy", sa.JSON(), nullable=True))
    op.add_column("merchants", sa.Column("sms_sender", sa.String(length=11), nullable=True))
    op.add_column("invoices", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "invoices", sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("invoices", sa.Column("next_reminder_step", sa.String(length=48), nullable=True))
    op.create_index(
        "ix_invoices_next_reminder",
        "invoices",
        ["next_reminder_at", "id"],
        sqlite_where=sa.text("next_reminder_at IS NOT NULL"),
        postgresql_where=sa.text("next_reminder_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_next_reminder", table_name="invoices")
    op.drop_column("invoices", "next_reminder_step")
    op.drop_column("invoices", "next_reminder_at")
    op.drop_column("invoices", "opened_at")
    op.drop_column("merchants", "sms_sender")
    op.drop_column("merchants", "reminder_policy")
    op.drop_table("message_templates")
    op.drop_table("opt_outs")
    op.drop_index("ix_messages_merchant_created", table_name="messages")
    op.drop_index("ix_messages_provider_id", table_name="messages")
    op.drop_table("messages")
