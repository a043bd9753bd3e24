"""The stores deliveries name, kept between deliveries on PostgreSQL (`KeptStores`): read once,
then dropped by any change to the store's row committed by any process; a store not found is
looked for again every time; on SQLite every lookup reads."""

import pytest
from sqlalchemy import delete, text, update

from core.services.accounts import connect_store
from core.services.store_events import KeptStores
from core.storage.models import Store
from tests.support.factories import merchant
from tests.support.settled_client import listening, settled
from tests.support.sql_counts import counted_statements

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
DOMAIN = "boutique.example"


@pytest.fixture
def stores(ctx) -> KeptStores:
    return listening(KeptStores(ctx.db))


@pytest.fixture
def store(ctx):
    return connect_store(
        ctx, merchant(ctx).id, "woocommerce", DOMAIN, {"webhook_secret": "first-secret"}
    )


def reads(ctx, lookup) -> tuple[object, int]:
    with counted_statements(ctx.db.engine) as counted:
        found = lookup()
    return found, len(counted.statements)


@POSTGRESQL
def test_a_store_is_read_once_then_kept(ctx, stores, store):
    by_domain = lambda: stores.by_domain(ctx, "woocommerce", DOMAIN)  # noqa: E731
    by_id = lambda: stores.by_id(ctx, "woocommerce", store.id)  # noqa: E731
    for lookup in (by_domain, by_id):
        first, first_reads = reads(ctx, lookup)
        again, repeat_reads = reads(ctx, lookup)
        assert (first.id, again.id, first_reads, repeat_reads) == (store.id, store.id, 1, 0)
    assert stores.by_id(ctx, "prestashop", store.id) is None  # another platform's address


@POSTGRESQL
def test_a_change_to_the_store_committed_by_any_process_drops_it(ctx, stores, store, other):
    assert stores.by_domain(ctx, "woocommerce", DOMAIN).credentials_ciphertext
    with other.transaction() as session:  # secrets replaced (a reconnection)
        session.execute(
            update(Store).where(Store.id == store.id).values(credentials_ciphertext="rotated")
        )
    settled(stores)
    assert stores.by_domain(ctx, "woocommerce", DOMAIN).credentials_ciphertext == "rotated"
    assert stores.by_id(ctx, "woocommerce", store.id) is not None
    with other.transaction() as session:  # uninstalled
        session.execute(update(Store).where(Store.id == store.id).values(active=False))
    settled(stores)
    assert stores.by_domain(ctx, "woocommerce", DOMAIN) is None
    assert stores.by_id(ctx, "woocommerce", store.id) is None
    assert stores.by_domain(ctx, "woocommerce", DOMAIN, active_only=False) is not None
    with other.transaction() as session:
        session.execute(delete(Store).where(Store.id == store.id))
    settled(stores)
    assert stores.by_domain(ctx, "woocommerce", DOMAIN, active_only=False) is None


@POSTGRESQL
def test_emptying_the_table_drops_every_store(ctx, stores, store, other):
    assert stores.by_domain(ctx, "woocommerce", DOMAIN) is not None
    with other.transaction() as session:
        session.execute(text("TRUNCATE stores CASCADE"))
    settled(stores)
    assert stores.by_domain(ctx, "woocommerce", DOMAIN) is None


def test_a_store_not_found_is_looked_for_again(ctx, stores):
    assert stores.by_domain(ctx, "woocommerce", DOMAIN) is None
    connect_store(ctx, merchant(ctx).id, "woocommerce", DOMAIN, {"webhook_secret": "s"})
    assert stores.by_domain(ctx, "woocommerce", DOMAIN) is not None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_reads_every_time(ctx, stores, store):
    assert stores.listener is None
    for _ in range(2):
        found, statements = reads(ctx, lambda: stores.by_domain(ctx, "woocommerce", DOMAIN))
        assert (found.id, statements) == (store.id, 1)
