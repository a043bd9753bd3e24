"""Store webhooks: stored once per platform event key with the job that processes them, in one
transaction (no outbound call in the request), then read by the store's connector and applied
by the core (core.services.store_changes); and payments pushed back to the store."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from core.connector import Connector
from core.errors import AccessRevoked, NotFound
from core.events import SourceKind
from core.invoices import InvoiceStatus
from core.money import Money
from core.services import accounts, carts, invoicing
from core.services.accounts import STORE_EVENT_JOB
from core.services.context import ServiceContext
from core.services.inbox import Inbox
from core.services.store_changes import apply_changes
from core.services.store_secrets import store_ref
from core.storage.database import Database
from core.storage.kept_rows import KeptRows
from core.storage.models import CartStatus, Invoice, Store, StoreEvent
from core.store_changes import CartToOrder, Delivery, InvoiceForStore, StoreRef

JOB_PROCESS_STORE_EVENT = STORE_EVENT_JOB


_STORE_BY_DOMAIN = select(Store.__table__).where(
    Store.platform == bindparam("platform"), Store.domain == bindparam("domain")
)
_ACTIVE_STORE_BY_DOMAIN = _STORE_BY_DOMAIN.where(Store.active.is_(True))
_ACTIVE_STORE_BY_ID = select(Store.__table__).where(
    Store.id == bindparam("id"), Store.platform == bindparam("platform"), Store.active.is_(True)
)


def known_store(
    ctx: ServiceContext, platform: str, domain: str, active_only: bool = True
) -> Any | None:
    """The store a delivery names (its row, by column name); uninstalled stores only when
    asked (privacy requests arrive after an uninstall and must still be honoured). Every
    delivery asks, so this is one prebuilt statement on the driver's cursor, outside any
    transaction, and no ORM object."""
    statement = _ACTIVE_STORE_BY_DOMAIN if active_only else _STORE_BY_DOMAIN
    return ctx.db.read_row(statement, {"platform": platform, "domain": domain})


def active_store(ctx: ServiceContext, platform: str, store_id: int) -> Any | None:
    """The active store of `platform` a delivery's address names by id (WooCommerce's and
    PrestaShop's deliveries are signed with that store's own secret): as `known_store`."""
    return ctx.db.read_row(_ACTIVE_STORE_BY_ID, {"id": store_id, "platform": platform})


#: The channel the database announces changes to stores' rows on (migration 0032).
STORE_CHANNEL = "paylink_stores"
#: The most store rows one process keeps (well under 1 KB each).
KEPT_STORES = 10_000


def _store_tags(_key: Hashable, row: Any) -> tuple[str]:
    return (f"s:{row.id}",)


def _found(_row: Any) -> bool:
    return True


class KeptStores(KeptRows[Any]):
    """The stores deliveries name, kept between deliveries on PostgreSQL (`KeptRows`) until
    their row changes ("s:<id>"): a delivery then reads only what it writes. Rows are kept as
    stored, their secrets sealed; a lookup that found nothing is read again every time (a new
    store needs no notice). On SQLite every lookup reads, as `known_store` and `active_store`."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, (STORE_CHANNEL,), KEPT_STORES, _store_tags)

    def by_domain(
        self, ctx: ServiceContext, platform: str, domain: str, active_only: bool = True
    ) -> Any | None:
        return self.read_through(
            (platform, domain, active_only),
            lambda: known_store(ctx, platform, domain, active_only),
            _found,
        )

    def by_id(self, ctx: ServiceContext, platform: str, store_id: int) -> Any | None:
        return self.read_through(
            (platform, store_id), lambda: active_store(ctx, platform, store_id), _found
        )


def receive_store_event(
    ctx: ServiceContext,
    store_ref: Store | StoreRef,
    event_key: str,
    topic: str,
    raw_body: bytes,
    triggered_at: datetime | None,
) -> bool:
    """Keep a verified delivery once; False when this event was stored already (a retry). The
    write shares a transaction with the process's concurrent deliveries (group commit)."""
    received_at = ctx.clock()
    values = {
        "store_id": store_ref.id,
        "platform": store_ref.platform,
        "event_key": event_key[:255],
        "topic": topic[:64],
        "body": raw_body.decode("utf-8", errors="replace"),
        "triggered_at": triggered_at,
        "received_at": received_at,
    }

    inbox = Inbox(
        ctx, StoreEvent, ("store_id", "event_key"), JOB_PROCESS_STORE_EVENT, "store-event"
    )
    return inbox.keep(values, store_ref.merchant_id, store_id=store_ref.id)


def process_store_event(
    ctx: ServiceContext, connectors: dict[str, Connector], event_id: int
) -> None:
    """Apply one stored delivery: its connector says what it means, the core does it."""
    with ctx.db.transaction() as session:
        event = session.get(StoreEvent, event_id)
        store = session.get(Store, event.store_id) if event else None
    if event is None or store is None:
        raise NotFound(f"no store event {event_id}")
    ref = store_ref(ctx, store)
    try:
        if store.platform not in connectors:
            outcome = f"not applied: the {store.platform} connector is not configured"
        else:
            delivery = Delivery(event.topic, event.body, event.triggered_at)
            changes = connectors[store.platform].read_delivery(ref, delivery)
            outcome = apply_changes(ctx, ref, changes)
    except AccessRevoked as refused:
        outcome = accounts.disconnect_refused_store(ctx, store, refused)
    with ctx.db.transaction() as session:
        stored = session.get(StoreEvent, event_id)
        assert stored is not None
        stored.processed_at, stored.outcome = ctx.clock(), outcome[:255]


def push_payment(ctx: ServiceContext, connectors: dict[str, Connector], invoice_id: int) -> None:
    """Push an invoice's payment state to its store, and put the outcome on its timeline."""
    with ctx.db.transaction() as session:
        invoice = session.get(Invoice, invoice_id)
        store = session.get(Store, invoice.store_id) if invoice and invoice.store_id else None
    if invoice is None or store is None:
        raise NotFound(f"no store invoice {invoice_id}")
    try:
        if not store.active or store.platform not in connectors:
            outcome = "store disconnected: nothing pushed"
        elif invoice.source_kind == SourceKind.CART:
            outcome = _recover_cart(ctx, connectors[store.platform], store, invoice)
        elif invoice.source_kind != SourceKind.ORDER or not invoice.external_id:
            outcome = "not an order: nothing to push"
        else:
            outcome = connectors[store.platform].push_payment(
                store_ref(ctx, store), invoice_for_store(ctx, invoice)
            )
    except AccessRevoked as refused:
        outcome = accounts.disconnect_refused_store(ctx, store, refused)
    with ctx.db.transaction() as session:
        ctx.record(session, invoice_id, "store_updated", platform=store.platform, outcome=outcome)


def invoice_for_store(ctx: ServiceContext, invoice: Invoice) -> InvoiceForStore:
    payments = invoicing.invoice_payments(ctx, invoice.id)
    return InvoiceForStore(
        number=invoice.number,
        status=invoice.status,
        external_id=invoice.external_id,
        amount_paid=Money(invoice.amount_paid, invoice.currency),
        link_code=invoice.link_code,
        payment_reference=payments[-1].provider_payment_id if payments else invoice.number,
    )


def _recover_cart(ctx: ServiceContext, connector: Connector, store: Store, invoice: Invoice) -> str:
    """A cart's invoice paid in full becomes a paid order in the store, once."""
    cart, body = carts.cart_of_invoice(ctx, invoice)
    if invoice.status != InvoiceStatus.PAID:
        return "partly paid: the store's order is made once the basket is paid in full"
    if cart.status == CartStatus.RECOVERED:
        return f"order {cart.order_ref} already made"
    if cart.status == CartStatus.ORDERED or body is None:
        return "the customer also ordered in the store: no second order made, refund one payment"
    made = connector.create_order_from_cart(
        store_ref(ctx, store),
        CartToOrder(
            id=cart.id,
            token=cart.token,
            body=body,
            created_ref=cart.created_ref,
            now=ctx.clock(),
            keep_created=lambda ref: carts.record_created(ctx, cart.id, ref),
        ),
        invoice_for_store(ctx, invoice),
    )
    if made.order_ref is not None:
        carts.record_recovered(ctx, cart.id, made.order_ref)
    return made.outcome
