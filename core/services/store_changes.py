"""One place where what a store says becomes what Paylink does, whatever the platform: the
changes a connector read from a delivery or a poll (core/store_changes.py) applied in order,
each in its own use case and transaction, with one outcome line for the store's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from functools import singledispatch

from core.errors import Conflict, UnusablePayload
from core.events import CartSeen, InvoiceRequested, SourceKind
from core.services import accounts, carts, invoice_creation, invoicing, privacy
from core.services.context import ServiceContext
from core.store_changes import (
    CartOrdered,
    CustomerDataRequested,
    CustomerErased,
    Ignored,
    OrderSettled,
    ShopErased,
    StoreChange,
    StoreRef,
    StoreUninstalled,
    Unusable,
)

#: Outcomes that say nothing worth reading next to the others.
SILENT = frozenset({"no cart followed"})


def apply_changes(ctx: ServiceContext, store: StoreRef, changes: Sequence[StoreChange]) -> str:
    """Apply a delivery's changes; an `Unusable` one stops them all before anything is done
    (UnusablePayload: the event keeps the reason and is not retried)."""
    for change in changes:
        if isinstance(change, Unusable):
            raise UnusablePayload(change.reason)
    done = [_apply(change, ctx, store) for change in changes]
    return "; ".join(line for line in done if line not in SILENT) or "nothing to do"


@singledispatch
def _apply(change: StoreChange, ctx: ServiceContext, store: StoreRef) -> str:
    raise TypeError(f"no rule applies {type(change).__name__}")


@_apply.register
def _invoice(change: InvoiceRequested, ctx: ServiceContext, store: StoreRef) -> str:
    try:
        invoice, created = invoice_creation.create_invoice(ctx, store.merchant_id, change)
    except Conflict as error:  # the order was edited after its invoice was sent
        raise UnusablePayload(f"order {change.external_id} changed: {error.message}") from error
    return f"invoice {invoice.number}" + ("" if created else " (already made)")


@_apply.register
def _cart_seen(change: CartSeen, ctx: ServiceContext, store: StoreRef) -> str:
    return carts.cart_seen(ctx, store, change)


@_apply.register
def _cart_ordered(change: CartOrdered, ctx: ServiceContext, store: StoreRef) -> str:
    return carts.cart_ordered(ctx, store, change.token, change.order_ref, change.known_only)


@_apply.register
def _settled(change: OrderSettled, ctx: ServiceContext, store: StoreRef) -> str:
    """Settled in the store: our invoice (if any) and the followed cart (if any) stop."""
    closed = invoicing.close_store_invoice(
        ctx, store.id, SourceKind.ORDER, change.external_id, change.reason
    )
    if change.cart_token is None:
        return f"{change.reason}: {closed}"
    cart = carts.cart_ordered(
        ctx,
        store,
        change.cart_token,
        change.external_id,
        known_only=True,
        reason=change.reason,
    )
    return f"{change.reason}: {closed}; {cart}"


@_apply.register
def _uninstalled(change: StoreUninstalled, ctx: ServiceContext, store: StoreRef) -> str:
    connected = store.connected_at
    if change.triggered_at and connected and change.triggered_at < connected:
        # A late retry of an uninstall older than the latest install: not applied.
        return "stale: the app was installed again after this uninstall"
    accounts.disconnect_store(ctx, store.id)
    return "store disconnected"


@_apply.register
def _data_requested(change: CustomerDataRequested, ctx: ServiceContext, store: StoreRef) -> str:
    """The merchant answers the request: the customer's invoices are marked on their
    timelines, so the console shows what Paylink holds."""
    found = privacy.customer_invoices(ctx, store.id, change.order_refs, change.email, change.phone)
    with ctx.db.transaction() as session:
        for invoice in found:
            ctx.record(session, invoice.id, "data_requested", request=change.request_id)
    return f"data request: {len(found)} invoices (marked on their timelines)"


@_apply.register
def _customer_erased(change: CustomerErased, ctx: ServiceContext, store: StoreRef) -> str:
    erased = privacy.erase_customer(ctx, store.id, change.order_refs, change.email, change.phone)
    return f"erased {erased} invoices"


@_apply.register
def _shop_erased(change: ShopErased, ctx: ServiceContext, store: StoreRef) -> str:
    return f"erased {privacy.erase_store(ctx, store.id)} invoices"


@_apply.register
def _ignored(change: Ignored, ctx: ServiceContext, store: StoreRef) -> str:
    return change.reason
