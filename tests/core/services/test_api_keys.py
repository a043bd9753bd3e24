"""API keys kept with their merchants between calls on PostgreSQL (`ApiKeys`): read once, then
dropped by any change to the key or to its merchant's settings committed by any process, but
not by the merchant's invoice counters; the secret checked on every call; on SQLite every call
reads."""

import pytest
from sqlalchemy import delete, text, update

from core.errors import Unauthorized
from core.services import accounts, invoice_creation
from core.services.api_keys import ApiKeys
from core.storage.models import ApiKey, Merchant
from tests.support.factories import merchant, order
from tests.support.settled_client import listening, settled
from tests.support.sql_counts import counted_statements

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def shop(ctx):
    return merchant(ctx)


@pytest.fixture
def clear(ctx, shop) -> str:
    """A key used a moment ago: a call notes its use at most once a minute."""
    key, clear = accounts.create_api_key(ctx, shop.id, "back-office")
    with ctx.db.transaction() as session:
        session.get(ApiKey, key.id).last_used_at = ctx.clock()
    return clear


@pytest.fixture
def keys(ctx, clear) -> ApiKeys:
    """Listening once the key is written: its notices are not racing the test's first call."""
    return listening(ApiKeys(ctx.db))


def calls(ctx, keys: ApiKeys, clear: str) -> tuple[Merchant, int]:
    with counted_statements(ctx.db.engine) as counted:
        found = keys.authenticate(ctx, clear)
    return found, len(counted.statements)


@POSTGRESQL
def test_a_key_is_read_once_then_kept_and_its_secret_checked_every_time(ctx, keys, shop, clear):
    assert [(m.id, n) for m, n in (calls(ctx, keys, clear), calls(ctx, keys, clear))] == [
        (shop.id, 1),
        (shop.id, 0),
    ]
    for wrong in (clear[:-1] + ("x" if clear[-1] != "x" else "y"), clear.rsplit("_", 1)[0] + "_"):
        with pytest.raises(Unauthorized):
            keys.authenticate(ctx, wrong)


@POSTGRESQL
def test_a_key_revoked_or_deleted_by_any_process_is_refused(ctx, keys, clear, other):
    keys.authenticate(ctx, clear)
    with other.transaction() as session:
        session.execute(update(ApiKey).values(revoked_at=ctx.clock()))
    with pytest.raises(Unauthorized):
        settled(keys).authenticate(ctx, clear)
    with other.transaction() as session:
        session.execute(update(ApiKey).values(revoked_at=None))
    assert settled(keys).authenticate(ctx, clear) is not None
    with other.transaction() as session:
        session.execute(delete(ApiKey))
    with pytest.raises(Unauthorized):
        settled(keys).authenticate(ctx, clear)


@POSTGRESQL
def test_the_merchants_settings_are_read_again_once_changed_not_its_counters(
    ctx, keys, shop, clear, other
):
    assert keys.authenticate(ctx, clear).payment_terms_days == 7
    invoice_creation.create_invoice(ctx, shop.id, order("1"))  # its counter moves on
    assert calls(ctx, settled(keys), clear)[1] == 0
    with other.transaction() as session:
        session.execute(update(Merchant).values(payment_terms_days=45))
    found, statements = calls(ctx, settled(keys), clear)
    assert (found.payment_terms_days, statements) == (45, 1)


@POSTGRESQL
def test_emptying_the_table_drops_every_key(ctx, keys, clear, other):
    keys.authenticate(ctx, clear)
    with other.transaction() as session:
        session.execute(text("TRUNCATE api_keys"))
    with pytest.raises(Unauthorized):
        settled(keys).authenticate(ctx, clear)


@POSTGRESQL
def test_its_use_is_noted_once_a_minute_through_the_kept_key(ctx, keys, clear, clock):
    keys.authenticate(ctx, clear)
    clock.advance(minutes=1)
    with counted_statements(ctx.db.engine) as counted:
        keys.authenticate(ctx, clear)
    assert [s.split()[0] for s in counted.writes] == ["UPDATE"]
    with ctx.db.reading() as session:
        assert session.query(ApiKey).one().last_used_at == clock()
    assert calls(ctx, settled(keys), clear)[1] == 1  # read again after its own notice
    assert calls(ctx, keys, clear)[1] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_reads_every_time(ctx, keys, shop, clear):
    assert keys.listener is None
    for _ in range(2):
        found, statements = calls(ctx, keys, clear)
        assert (found.id, statements) == (shop.id, 1)
