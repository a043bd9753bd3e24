"""Abandoned carts, for every platform: a store's checkouts are followed until the customer
finishes them in the store, or leaves one unchanged for the merchant's delay; then an invoice
carrying our payment link is made from it (its messages speak of the basket: see
`ReminderPolicy.for_carts`). An order naming the cart cancels that invoice; paying it asks the
store's connector for a real order.

Each change locks the cart's row, so an order arriving as the delay runs out cannot both cancel
and miss the invoice. Deliveries arrive late and out of order: the store's own change time
decides which state is newest, and an order always wins over a later-delivered checkout.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.connector import Connector
from core.errors import MALFORMED_PAYLOAD, NotFound, UnusablePayload, ValidationError
from core.events import CartSeen
from core.invoices import PAYABLE
from core.jobs import NewJob
from core.services import invoice_creation, invoicing
from core.services.context import ServiceContext
from core.services.store_secrets import store_ref
from core.storage.database import insert_once
from core.storage.models import CartStatus, Invoice, Merchant, Store, StoreCart
from core.store_changes import StoreRef

CART_BODY = "store_carts.body"
JOB_ABANDON_CART = "carts.abandon"
#: How long the link made for an abandoned cart stays payable: prices and stock move on.
CART_OFFER = timedelta(days=7)
MIN_DELAY_MINUTES, MAX_DELAY_MINUTES = 15, 7 * 24 * 60
ORDERED_IN_STORE = "the customer ordered in the store"


def _cart_row(session: Session, store: StoreRef, token: str, ctx: ServiceContext) -> StoreCart:
    """The store's cart with this token, created if it is new, locked for this transaction."""
    now = ctx.clock()
    insert_once(
        session,
        StoreCart,
        {
            "merchant_id": store.merchant_id,
            "store_id": store.id,
            "token": token[:255],
            "status": CartStatus.OPEN,
            "created_at": now,
            "updated_at": now,
        },
        ["store_id", "token"],
    )
    return session.scalars(
        select(StoreCart)
        .where(StoreCart.store_id == store.id, StoreCart.token == token[:255])
        .with_for_update()
    ).one()


def cart_seen(ctx: ServiceContext, store: StoreRef, seen: CartSeen) -> str:
    """A checkout was created or changed: keep its newest state and (re)start the wait."""
    with ctx.db.transaction() as session:
        cart = _cart_row(session, store, seen.token, ctx)
        if cart.status not in (CartStatus.OPEN, CartStatus.UNREACHABLE):
            if seen.completed and cart.status == CartStatus.INVOICED:
                return _finished(ctx, session, cart, order_ref=None)
            return f"cart {cart.status}: kept as it is"
        if cart.changed_at is not None and seen.changed_at < cart.changed_at:
            return "stale: a newer state of this cart is held"
        if seen.completed:
            return _finished(ctx, session, cart, order_ref=None)
        merchant = session.get(Merchant, store.merchant_id)
        assert merchant is not None
        cart.status = CartStatus.OPEN
        cart.body_ciphertext = ctx.keyring.encrypt(seen.body, CART_BODY)
        cart.changed_at = seen.changed_at
        cart.abandon_at = seen.changed_at + timedelta(minutes=merchant.cart_delay_minutes)
        cart.updated_at = ctx.clock()
        ctx.enqueue(
            session,
            NewJob(
                JOB_ABANDON_CART,
                {"cart_id": cart.id},
                f"cart:{cart.id}:abandon:{seen.changed_at.isoformat()}",
                cart.abandon_at,
                store.merchant_id,
            ),
        )
        return f"cart waits until {cart.abandon_at.isoformat()}"


def cart_ordered(
    ctx: ServiceContext,
    store: StoreRef,
    token: str,
    order_ref: str | None,
    known_only: bool = False,
    reason: str = ORDERED_IN_STORE,
) -> str:
    """An order names this cart: the customer finished it in the store, so its invoice (if
    one was made) is cancelled. Recorded even before the cart itself was seen, so a
    checkout delivered after its order changes nothing; `known_only` touches only a cart
    already followed (a platform whose carts and orders are the same record)."""
    with ctx.db.transaction() as session:
        if known_only:
            cart = session.scalars(
                select(StoreCart)
                .where(StoreCart.store_id == store.id, StoreCart.token == token[:255])
                .with_for_update()
            ).one_or_none()
            if cart is None:
                return "no cart followed"
        else:
            cart = _cart_row(session, store, token, ctx)
        if cart.status == CartStatus.RECOVERED:
            return f"cart already recovered as {cart.order_ref}"
        return _finished(ctx, session, cart, order_ref, reason)


def _finished(
    ctx: ServiceContext,
    session: Session,
    cart: StoreCart,
    order_ref: str | None,
    reason: str = ORDERED_IN_STORE,
) -> str:
    cart.status = CartStatus.ORDERED
    cart.order_ref = order_ref or cart.order_ref
    cart.body_ciphertext, cart.abandon_at, cart.updated_at = None, None, ctx.clock()
    if cart.invoice_id is None:
        return "cart finished in the store"
    invoice = invoicing.load_invoice(session, cart.merchant_id, cart.invoice_id, lock=True)
    if invoice.status in PAYABLE and invoice.amount_paid == 0:
        invoicing.store_state(invoice, invoicing.state_of(invoice).void(), ctx.clock())
        ctx.record(session, invoice.id, "voided", reason=reason)
        return f"cart finished in the store: invoice {invoice.number} cancelled"
    # Money came through our link too: the customer paid twice, the merchant must refund one.
    ctx.record(session, invoice.id, "cart_ordered_in_store", order=order_ref or "")
    return f"cart finished in the store, but invoice {invoice.number} has payments: refund one"


def abandon_cart(ctx: ServiceContext, connectors: dict[str, Connector], cart_id: int) -> str:
    """The delay has run out (a job at `abandon_at`): if the cart is still open and unchanged,
    it becomes an invoice, in the transaction that marks it invoiced."""
    with ctx.db.transaction() as session:
        cart = session.scalars(
            select(StoreCart).where(StoreCart.id == cart_id).with_for_update()
        ).one_or_none()
        if cart is None:
            raise NotFound(f"no cart {cart_id}")
        now = ctx.clock()
        if cart.status != CartStatus.OPEN or cart.abandon_at is None or cart.abandon_at > now:
            return "not due: the cart changed or was finished"
        store = session.get(Store, cart.store_id)
        assert store is not None
        if not store.active or store.platform not in connectors:
            return "store disconnected"
        if cart.body_ciphertext is None:
            return "the cart's data was erased (privacy request)"
        body = ctx.keyring.decrypt(cart.body_ciphertext, CART_BODY)
        try:
            request = connectors[store.platform].cart_invoice(store_ref(ctx, store), body)
            if request is None:
                cart.status, cart.body_ciphertext = CartStatus.UNREACHABLE, None
                return "abandoned, but no email or phone to reach the customer"
            invoice, _ = invoice_creation.create_invoice_in(
                ctx, session, store.merchant_id, replace(request, expires_at=now + CART_OFFER)
            )
        except MALFORMED_PAYLOAD as error:
            raise UnusablePayload(f"abandoned cart not usable: {error}") from error
        cart.status, cart.invoice_id, cart.updated_at = CartStatus.INVOICED, invoice.id, now
        return f"invoice {invoice.number}"


def cart_of_invoice(ctx: ServiceContext, invoice: Invoice) -> tuple[StoreCart, str | None]:
    """The cart an invoice was made from, with its latest body (None once erased)."""
    with ctx.db.transaction() as session:
        cart = session.scalars(
            select(StoreCart).where(StoreCart.invoice_id == invoice.id)
        ).one_or_none()
    if cart is None:
        raise NotFound(f"invoice {invoice.number} was not made from a cart")
    body = ctx.keyring.decrypt(cart.body_ciphertext, CART_BODY) if cart.body_ciphertext else None
    return cart, body


def record_created(ctx: ServiceContext, cart_id: int, created_ref: str) -> None:
    """Keep what the connector made in the store before it is finished (a retry reuses it)."""
    with ctx.db.transaction() as session:
        cart = session.get(StoreCart, cart_id)
        assert cart is not None
        cart.created_ref, cart.updated_at = created_ref[:255], ctx.clock()


def record_recovered(ctx: ServiceContext, cart_id: int, order_ref: str) -> None:
    """The store has a paid order for the cart: done, and its personal data is let go."""
    with ctx.db.transaction() as session:
        cart = session.get(StoreCart, cart_id)
        assert cart is not None
        cart.status, cart.order_ref = CartStatus.RECOVERED, order_ref[:255]
        cart.body_ciphertext, cart.updated_at = None, ctx.clock()


def cart_delay(ctx: ServiceContext, merchant_id: int) -> int:
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        return merchant.cart_delay_minutes


def set_cart_delay(ctx: ServiceContext, merchant_id: int, minutes: int) -> None:
    """How long a cart sits unchanged before it counts as abandoned (carts already waiting
    keep the time they were given)."""
    if not MIN_DELAY_MINUTES <= minutes <= MAX_DELAY_MINUTES:
        raise ValidationError(
            f"the abandoned-cart delay is {MIN_DELAY_MINUTES} minutes to 7 days "
            f"({MAX_DELAY_MINUTES} minutes)",
            key="cart_delay",
            least=MIN_DELAY_MINUTES,
            most=MAX_DELAY_MINUTES,
        )
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.cart_delay_minutes = minutes
