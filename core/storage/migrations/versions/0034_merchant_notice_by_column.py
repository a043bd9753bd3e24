"""PostgreSQL: the notice of a merchant's settings changing (0031's "m:<id>" on paylink_pages)
fires for an UPDATE that sets one of the merchant's columns but its invoice and credit-note
counters (`AFTER UPDATE OF ...`), instead of for every UPDATE with a WHEN that compared the whole
row, counters taken out, as JSON: that comparison ran on every invoice numbered (two `to_jsonb`
of the row; 6% of the database's CPU in an API creation), where a column list is settled when
the UPDATE is planned and the counters' UPDATE never reaches the trigger.

The columns are those of the table when this runs: a later migration that adds a column to
merchants creates the trigger again (tests/core/services/test_page_versions.py compares the
trigger's columns with the model's).

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

COUNTERS = ("last_invoice_sequence", "last_credit_sequence")
TRIGGER = "merchant_pages_changed"
FUNCTION = "paylink_merchant_pages_changed"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = [
        column["name"]
        for column in sa.inspect(bind).get_columns("merchants")
        if column["name"] not in COUNTERS
    ]
    watched = ", ".join(f'"{name}"' for name in columns)
    op.execute(f"DROP TRIGGER {TRIGGER} ON merchants")
    op.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF {watched} ON merchants FOR EACH ROW"
        f" EXECUTE FUNCTION {FUNCTION}()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    counters = " ".join(f"- '{name}'" for name in COUNTERS)
    op.execute(f"DROP TRIGGER {TRIGGER} ON merchants")
    op.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER UPDATE ON merchants FOR EACH ROW"
        f" WHEN ((to_jsonb(OLD) {counters}) IS DISTINCT FROM (to_jsonb(NEW) {counters}))"
        f" EXECUTE FUNCTION {FUNCTION}()"
    )
