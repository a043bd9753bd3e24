"""PostgreSQL: a notice on channel paylink_api_keys whenever an API key's row changes or goes
(`core.services.api_keys.ApiKeys`, which keeps the keys API calls are checked against):
"k:<public id>", or "all" for a TRUNCATE. A new key needs none: a look-up that found nothing is
never kept. Its merchant's settings are announced on paylink_pages already (0031). Sent by the
database at commit, whichever process or tool wrote. SQLite: nothing.

Revision ID: 0033
Revises: 0032
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

CHANNEL = "paylink_api_keys"
FUNCTIONS = {
    "paylink_api_key_changed": "'k:' || OLD.public_id",
    "paylink_api_keys_truncated": "'all'",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, payload in FUNCTIONS.items():
        op.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', {payload});
                RETURN NULL;
            END $$"""
        )
    op.execute(
        "CREATE TRIGGER api_key_changed AFTER UPDATE OR DELETE ON api_keys"
        " FOR EACH ROW EXECUTE FUNCTION paylink_api_key_changed()"
    )
    op.execute(
        "CREATE TRIGGER api_keys_truncated AFTER TRUNCATE ON api_keys"
        " FOR EACH STATEMENT EXECUTE FUNCTION paylink_api_keys_truncated()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER api_key_changed ON api_keys")
    op.execute("DROP TRIGGER api_keys_truncated ON api_keys")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
