"""The satisfaction survey: merchants.survey_mode and survey_delay_hours, survey_responses

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(
            sa.Column("survey_mode", sa.String(16), nullable=False, server_default="in_receipt")
        )
        batch.add_column(
            sa.Column("survey_delay_hours", sa.Integer(), nullable=False, server_default="24")
        )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "merchant_id",
            sa.Integer(),
            sa.ForeignKey("merchants.id", name="fk_survey_responses_merchant_id_merchants"),
            nullable=False,
        ),
        sa.Column(
            "invoice_id",
            sa.Integer(),
            sa.ForeignKey("invoices.id", name="fk_survey_responses_invoice_id_invoices"),
            nullable=False,
        ),
        sa.Column("ease", sa.Integer(), nullable=False),
        sa.Column("clarity", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
        sa.UniqueConstraint("invoice_id", name="uq_survey_responses_invoice_id"),
    )
    op.create_index(
        "ix_survey_responses_merchant_answered",
        "survey_responses",
        ["merchant_id", "answered_at"],
    )


def downgrade() -> None:
    op.drop_table("survey_responses")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("survey_delay_hours")
        batch.drop_column("survey_mode")
