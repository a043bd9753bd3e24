"""PostgreSQL: a notice on channel paylink_pages whenever a row a payment page is made of
changes (`core.services.page_version.PageVersions`): "i:<link code>" for an invoice,
"m:<merchant id>" for a merchant's settings (not its counters) or payment accounts, "all" for
a TRUNCATE. Sent by the database at commit, whichever process or tool wrote. SQLite: nothing
(no listener).

Revision ID: 0031
Revises: 0030
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

CHANNEL = "paylink_pages"
#: The merchant's counters move with every invoice and credit note, not its pages.
COUNTERS = "- 'last_invoice_sequence' - 'last_credit_sequence'"

FUNCTIONS = {
    "paylink_invoice_page_changed": "'i:' || OLD.link_code",
    "paylink_merchant_pages_changed": "'m:' || OLD.id",
    "paylink_account_pages_changed": "'m:' || COALESCE(OLD.merchant_id, NEW.merchant_id)",
}


def _function(name: str, payload: str) -> str:
    # OLD is null on INSERT: the accounts' payload falls back on NEW (the others fire on
    # UPDATE and DELETE only).
    return f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', {payload});
            RETURN NULL;
        END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, payload in FUNCTIONS.items():
        op.execute(_function(name, payload))
    op.execute(
        f"""CREATE FUNCTION paylink_all_pages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', 'all');
            RETURN NULL;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER invoice_page_changed AFTER UPDATE OR DELETE ON invoices"
        " FOR EACH ROW EXECUTE FUNCTION paylink_invoice_page_changed()"
    )
    op.execute(
        "CREATE TRIGGER merchant_pages_changed AFTER UPDATE ON merchants FOR EACH ROW"
        f" WHEN ((to_jsonb(OLD) {COUNTERS}) IS DISTINCT FROM (to_jsonb(NEW) {COUNTERS}))"
        " EXECUTE FUNCTION paylink_merchant_pages_changed()"
    )
    op.execute(
        "CREATE TRIGGER merchant_pages_deleted AFTER DELETE ON merchants FOR EACH ROW"
        " EXECUTE FUNCTION paylink_merchant_pages_changed()"
    )
    op.execute(
        "CREATE TRIGGER account_pages_changed AFTER INSERT OR UPDATE OR DELETE"
        " ON payment_accounts FOR EACH ROW EXECUTE FUNCTION paylink_account_pages_changed()"
    )
    for table in ("invoices", "merchants", "payment_accounts"):
        op.execute(
            f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION paylink_all_pages_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger in (
        ("invoices", "invoice_page_changed"),
        ("merchants", "merchant_pages_changed"),
        ("merchants", "merchant_pages_deleted"),
        ("payment_accounts", "account_pages_changed"),
        ("invoices", "invoices_truncated"),
        ("merchants", "merchants_truncated"),
        ("payment_accounts", "payment_accounts_truncated"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in (*FUNCTIONS, "paylink_all_pages_changed"):
        op.execute(f"DROP FUNCTION {name}()")
