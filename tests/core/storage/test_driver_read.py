"""A hot read run on the driver's own cursor (`DriverRead`) returns what SQLAlchemy's own
execution returns for the same statement, on both engines: datetimes (text on SQLite) with
their zone, JSON, booleans (integers on SQLite), nulls, by column name and in order."""

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select, text

from core.services.accounts import connect_store
from core.services.context import ServiceContext
from core.services.store_events import active_store, known_store
from core.storage.database import Database, DriverRead
from core.storage.models import Store
from tests.support.factories import merchant

_STORE = select(Store.__table__).where(
    Store.domain == bindparam("domain"), Store.platform == bindparam("platform")
)


def test_a_driver_read_returns_what_sqlalchemy_returns(ctx: ServiceContext):
    shop = merchant(ctx)
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    with ctx.db.transaction() as session:
        store = session.scalars(select(Store)).one()
        store.invoice_gateways = ["Paylink", "Virement"]
    values = {"domain": "lune.myshopify.com", "platform": "shopify"}
    read = DriverRead.compile(_STORE, ctx.db.engine.dialect, "domain", "platform")
    raw = ctx.db.fetch_row(read, values)
    assert raw is not None
    with ctx.db.transaction() as session:
        expected = session.execute(_STORE, values).one()
    typed = read.typed(raw)
    assert tuple(typed) == tuple(expected)
    assert typed.invoice_gateways == ["Paylink", "Virement"]
    assert typed.active is True and typed.webhooks_ready is False
    assert typed.connected_at.tzinfo is not None and typed.polled_until is None
    assert ctx.db.fetch_row(read, {**values, "domain": "other.myshopify.com"}) is None


def test_a_delivery_finds_only_the_active_store_it_names(ctx: ServiceContext):
    shop = merchant(ctx)
    store = connect_store(ctx, shop.id, "woocommerce", "boutique.example", {"k": "v"})
    assert known_store(ctx, "woocommerce", "boutique.example").id == store.id
    assert known_store(ctx, "shopify", "boutique.example") is None
    assert active_store(ctx, "woocommerce", store.id).domain == "boutique.example"
    assert active_store(ctx, "prestashop", store.id) is None
    with ctx.db.transaction() as session:
        session.get(Store, store.id).active = False
    assert known_store(ctx, "woocommerce", "boutique.example") is None
    assert known_store(ctx, "woocommerce", "boutique.example", active_only=False) is not None
    assert active_store(ctx, "woocommerce", store.id) is None


_PROBES = Table("probes", MetaData(), Column("id", Integer, primary_key=True))
_PROBE = select(_PROBES).where(_PROBES.c.id == bindparam("id"))


def _probe_database(url: str) -> Database:
    """A database of its own (an empty pool) holding an empty table of probes."""
    db = Database(url)
    _PROBES.create(db.engine)
    return db


def test_a_hot_read_leaves_its_connection_as_it_found_it(database_url):
    """The read runs outside any transaction (autocommit on PostgreSQL), and the connection it
    hands back to the pool still runs the next user's writes in a transaction."""
    db = _probe_database(database_url)
    try:
        read = DriverRead.compile(_PROBE, db.engine.dialect, "id")
        assert db.fetch_row(read, {"id": 1}) is None
        with pytest.raises(RuntimeError), db.transaction() as session:
            session.execute(_PROBES.insert(), {"id": 1})
            raise RuntimeError("rolled back")
        assert db.fetch_row(read, {"id": 1}) is None  # the insert did not commit by itself
        with db.transaction() as session:
            session.execute(_PROBES.insert(), {"id": 2})
        assert db.fetch_row(read, {"id": 2}) == (2,)
        assert db.engine.pool.checkedout() == 0
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a server to drop it
def test_a_dropped_connection_is_replaced_after_one_failed_read(database_url):
    db = _probe_database(database_url)
    try:
        read = DriverRead.compile(_PROBE, db.engine.dialect, "id")
        assert db.fetch_row(read, {"id": 1}) is None
        admin = Database(database_url)  # another client ends the pooled connection
        with admin.engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        admin.dispose()
        with pytest.raises(psycopg.OperationalError):
            db.fetch_row(read, {"id": 1})
        assert db.fetch_row(read, {"id": 1}) is None  # a new connection, not the dead one
    finally:
        db.dispose()
