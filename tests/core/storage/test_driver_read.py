"""A hot read run on the driver's own cursor (`DriverRead`) returns what SQLAlchemy's own
execution returns for the same statement, on both engines: datetimes (text on SQLite) with
their zone, JSON, booleans (integers on SQLite), nulls, by column name and in order."""

from sqlalchemy import bindparam, select

from core.services.accounts import connect_store
from core.services.context import ServiceContext
from core.services.store_events import active_store, known_store
from core.storage.database import DriverRead
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
