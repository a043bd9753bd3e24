"""PostgreSQL: a notice on channel paylink_stores whenever a store's row changes or goes
(`core.services.store_events.KeptStores`, which keeps the rows deliveries are checked against):
"s:<store id>", or "all" for a TRUNCATE. A new row needs none: a lookup that found nothing is
never kept. Sent by the database at commit, whichever process or tool wrote. SQLite: nothing.

Revision ID: 0032
Revises: 0031
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

CHANNEL = "paylink_stores"
FUNCTIONS = {"paylink_store_changed": "'s:' || OLD.id", "paylink_stores_truncated": "'all'"}


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
        "CREATE TRIGGER store_changed AFTER UPDATE OR DELETE ON stores"
        " FOR EACH ROW EXECUTE FUNCTION paylink_store_changed()"
    )
    op.execute(
        "CREATE TRIGGER stores_truncated AFTER TRUNCATE ON stores"
        " FOR EACH STATEMENT EXECUTE FUNCTION paylink_stores_truncated()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER store_changed ON stores")
    op.execute("DROP TRIGGER stores_truncated ON stores")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
