"""Page versions kept between views on PostgreSQL (`PageVersions`): trusted only while the
database's notices about their rows are heard, dropped by any change to those rows committed by
any process, never kept when a notice about them came during their read, and all dropped when
the notices are lost. On SQLite nothing is kept."""

import threading

import pytest
from sqlalchemy import text, update

from core.services.invoice_creation import create_invoice
from core.services.page_version import PageVersions, page_version
from core.storage.database import Database
from core.storage.models import Invoice, Merchant, PaymentAccount
from tests.support.factories import merchant, order
from tests.support.settled_client import listening, settled

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def kept(versions: PageVersions, code: str) -> bool:
    """Whether a view of `code` now would use a kept version (after every notice so far)."""
    version, _ = settled(versions).get(code)
    return version is not None


def read_and_keep(ctx, versions: PageVersions, code: str) -> None:
    _, ticket = versions.get(code)
    version = page_version(ctx, code)
    assert version is not None
    versions.keep(code, version, ticket)


@pytest.fixture
def versions(ctx) -> PageVersions:
    """Listening on the test's database (its disposal, by the fixture, stops the listener)."""
    return listening(PageVersions(ctx.db))


@pytest.fixture
def shop_invoice(ctx):
    shop = merchant(ctx)
    invoice, _ = create_invoice(ctx, shop.id, order())
    return shop, invoice


@POSTGRESQL
def test_a_change_committed_by_any_process_drops_the_kept_version(
    ctx, versions, other, shop_invoice
):
    shop, invoice = shop_invoice
    changes = {
        "the invoice": update(Invoice).where(Invoice.id == invoice.id).values(tax=1),
        "the merchant's settings": update(Merchant)
        .where(Merchant.id == shop.id)
        .values(brand_color="#ffe14d"),
        "a payment account": PaymentAccount.__table__.insert().values(
            merchant_id=shop.id,
            provider="sandbox",
            credentials_ciphertext="x",
            created_at=ctx.clock(),
        ),
    }
    for change, statement in changes.items():
        read_and_keep(ctx, versions, invoice.link_code)
        assert kept(versions, invoice.link_code), change
        with other.transaction() as session:
            session.execute(statement)
        assert not kept(versions, invoice.link_code), change


@POSTGRESQL
def test_what_does_not_change_the_page_keeps_it(ctx, versions, shop_invoice):
    shop, invoice = shop_invoice
    read_and_keep(ctx, versions, invoice.link_code)
    with ctx.db.transaction() as session:  # another invoice numbered
        session.execute(
            update(Merchant)
            .where(Merchant.id == shop.id)
            .values(last_invoice_sequence=Merchant.last_invoice_sequence + 1)
        )
    create_invoice(ctx, merchant(ctx, name="Autre").id, order())  # another merchant's
    assert kept(versions, invoice.link_code)


@POSTGRESQL
def test_every_column_of_a_merchant_but_its_counters_is_announced(ctx):
    """The trigger names its columns (migration 0034): a column added to merchants without the
    trigger made again would change pages silently, never announced."""
    with ctx.db.engine.connect() as connection:
        watched = connection.scalars(
            text(
                "SELECT attribute.attname FROM pg_trigger AS trigger"
                " JOIN pg_attribute AS attribute ON attribute.attrelid = trigger.tgrelid"
                " AND attribute.attnum = ANY(trigger.tgattr)"
                " WHERE trigger.tgname = 'merchant_pages_changed'"
            )
        ).all()
    counters = {"last_invoice_sequence", "last_credit_sequence"}
    assert set(watched) == {column.name for column in Merchant.__table__.columns} - counters


@POSTGRESQL
def test_a_version_read_while_its_notice_arrives_is_not_kept(ctx, versions, shop_invoice):
    _, invoice = shop_invoice
    _, ticket = versions.get(invoice.link_code)
    stale = page_version(ctx, invoice.link_code)
    assert stale is not None
    with ctx.db.transaction() as session:  # committed while the view was reading
        session.execute(update(Invoice).where(Invoice.id == invoice.id).values(tax=1))
    settled(versions).keep(invoice.link_code, stale, ticket)
    assert not kept(versions, invoice.link_code)


@POSTGRESQL
def test_lost_notices_drop_every_kept_version_until_heard_again(ctx, versions, other, shop_invoice):
    _, invoice = shop_invoice
    read_and_keep(ctx, versions, invoice.link_code)
    assert versions.listener is not None
    with other.engine.connect() as connection:  # the listener's connection ends
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')"
            )
        )
    wait = threading.Event()
    for _ in range(1000):  # noticed at once (its socket closes), or at its next check
        if not versions.listener.live:
            break
        wait.wait(0.01)
    assert versions.get(invoice.link_code) == (None, -1)
    listening(versions)
    assert not kept(versions, invoice.link_code)  # dropped: read again


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_keeps_nothing(ctx, shop_invoice):
    _, invoice = shop_invoice
    versions = PageVersions(ctx.db)
    assert versions.listener is None
    version = page_version(ctx, invoice.link_code)
    assert version is not None
    versions.keep(invoice.link_code, version, 0)
    assert versions.get(invoice.link_code) == (None, 0)


@POSTGRESQL
def test_a_disposed_database_stops_its_listener(database_url):
    db = Database(database_url)
    versions = listening(PageVersions(db))
    assert versions.listener is not None
    db.dispose()
    assert not versions.listener.live
