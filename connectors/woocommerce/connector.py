"""The WooCommerce connector as the core sees it (core/connector.py). Needs no app credentials:
each store gives its own keys at install, so it is always offered.

Every order event is applied from the order as the store has it *now* (re-read through the
REST API), not from the payload: deliveries collapse (one per 10 minutes per order), arrive out
of order, or never arrive, and the poller applies the same orders the same way.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar

from flask import Blueprint, Request

from connectors.woocommerce.mapping import (
    DEFAULT_INVOICE_METHODS,
    OrderState,
    changed_at,
    order_invoice,
    order_state,
    reachable,
)
from connectors.woocommerce.rest import WooCommerceApi
from connectors.woocommerce.web import create_woocommerce_blueprint
from core.connector import ConnectForm, EmbeddedSignIn
from core.errors import MALFORMED_PAYLOAD, AccessRevoked, Conflict, UnusablePayload
from core.events import CartSeen, InvoiceRequested, SourceKind
from core.http import store_session
from core.invoices import InvoiceStatus
from core.links import payment_url
from core.money import Money
from core.services import accounts, carts, invoicing
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.models import Invoice, Store, StoreCart, StoreEvent

#: Deleted (trashed) and restored orders too: a trashed order is not listed by the poller, so
#: without its webhook its invoice would keep reminding the customer.
TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
#: A poll reads again a little before where the last one stopped (clocks, slow saves).
POLL_OVERLAP = timedelta(minutes=5)
POLL_PAGE = 50
#: A first poll looks this far back.
FIRST_POLL = timedelta(days=2)


def cart_token(order_id: Any) -> str:
    return f"order-{order_id}"


class WooCommerceConnector:
    platform: ClassVar[str] = "woocommerce"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        endpoint="woocommerce.install",
        field="store_url",
        title={"fr": "Connecter une boutique WooCommerce", "en": "Connect a WooCommerce store"},
        label={"fr": "Adresse de la boutique", "en": "Store address"},
        placeholder="https://boutique.example",
    )
    #: WooCommerce never retries a failed delivery and disables a failing webhook.
    polls: ClassVar[bool] = True
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_METHODS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = store_session(20.0, settings.allow_private_stores)

    @classmethod
    def from_settings(cls, settings: Settings) -> WooCommerceConnector:
        return cls(settings)

    def blueprint(self) -> Blueprint:
        return create_woocommerce_blueprint(self.settings)

    def api(self, ctx: ServiceContext, store: Store) -> WooCommerceApi:
        keys = accounts.store_credentials(ctx, store)
        if not keys.get("consumer_key"):
            raise AccessRevoked(f"{store.domain} has no keys: connect it again")
        return WooCommerceApi(
            str(keys["store_url"]),
            str(keys["consumer_key"]),
            str(keys["consumer_secret"]),
            self.session,
            self.settings.allow_private_stores,
        )

    # Orders -------------------------------------------------------------------------------

    def process_event(self, ctx: ServiceContext, store: Store, event: StoreEvent) -> str:
        if not event.topic.startswith("order."):
            return f"ignored ({event.topic})"
        try:
            order_id = int(json.loads(event.body)["id"])
        except MALFORMED_PAYLOAD as error:
            raise UnusablePayload(f"{event.topic} not usable: {error}") from error
        status, order = self.api(ctx, store).call("GET", f"orders/{order_id}")
        if status == 404:
            return self._gone(ctx, store, order_id, "order deleted in the store")
        return self.apply(ctx, store, order)

    def apply(self, ctx: ServiceContext, store: Store, order: dict[str, Any]) -> str:
        """Bring Paylink in line with an order as the store has it now (idempotent)."""
        methods = store.invoice_gateways or DEFAULT_INVOICE_METHODS
        state = order_state(order, methods)
        order_id = order["id"]
        if state == OrderState.INVOICE:
            done = carts.cart_ordered(ctx, store, cart_token(order_id), None, known_only=True)
            try:
                request = order_invoice(order, store.id, SourceKind.ORDER)
                invoice, created = invoicing.create_invoice(ctx, store.merchant_id, request)
            except Conflict as error:  # the order was edited after its invoice was sent
                raise UnusablePayload(f"order {order_id} changed: {error.message}") from error
            except MALFORMED_PAYLOAD as error:
                raise UnusablePayload(f"order {order_id} not usable: {error}") from error
            return (
                f"invoice {invoice.number}"
                + ("" if created else " (already made)")
                + ("" if done == "no cart followed" else f"; {done}")
            )
        if state == OrderState.LOST:
            seen = CartSeen(cart_token(order_id), changed_at(order), False, json.dumps(order))
            return "lost checkout: " + carts.cart_seen(ctx, store, seen)
        if state == OrderState.PAID:
            return self._gone(ctx, store, order_id, f"paid in the store ({order['status']})")
        if state == OrderState.GONE:
            return self._gone(ctx, store, order_id, f"order {order['status']} in the store")
        return f"nothing to do ({order.get('status')})"

    def _gone(self, ctx: ServiceContext, store: Store, order_id: int, reason: str) -> str:
        """Settled in the store: our invoice (if any) and the followed cart (if any) stop."""
        closed = invoicing.close_store_invoice(
            ctx, store.id, SourceKind.ORDER, str(order_id), reason
        )
        cart = carts.cart_ordered(
            ctx, store, cart_token(order_id), str(order_id), known_only=True, reason=reason
        )
        return f"{reason}: {closed}; {cart}"

    def cart_invoice(self, store: Store, body: str) -> InvoiceRequested | None:
        order = json.loads(body)
        return order_invoice(order, store.id, SourceKind.CART) if reachable(order) else None

    # Back to the store --------------------------------------------------------------------

    def push_payment(self, ctx: ServiceContext, store: Store, invoice: Invoice) -> str:
        if invoice.source_kind != SourceKind.ORDER.value or not invoice.external_id:
            return "not an order: nothing to push"
        return self._paid(ctx, store, invoice, int(invoice.external_id))

    def create_order_from_cart(
        self, ctx: ServiceContext, store: Store, cart: StoreCart, body: str, invoice: Invoice
    ) -> str:
        """The lost checkout *is* the store's order: it is marked paid, and recovered."""
        order_id = int(json.loads(body)["id"])
        outcome = self._paid(ctx, store, invoice, order_id)
        carts.record_recovered(ctx, cart.id, str(order_id))
        return outcome

    def _paid(self, ctx: ServiceContext, store: Store, invoice: Invoice, order_id: int) -> str:
        """`set_paid` with the provider's payment id where the order still needs payment
        (`pending`, `failed`); an `on-hold` order (awaiting a transfer) is moved to
        `processing`; then a private note with the invoice, once."""
        api = self.api(ctx, store)
        status, order = api.call("GET", f"orders/{order_id}")
        if status == 404:
            return f"order {order_id} not found in the store"
        paid = invoice.status == InvoiceStatus.PAID
        payments = invoicing.invoice_payments(ctx, invoice.id)
        reference = payments[-1].provider_payment_id if payments else invoice.number
        done = []
        if not paid:
            done.append("partly paid: noted")
        elif order["status"] in ("pending", "failed"):
            api.call(
                "PUT", f"orders/{order_id}", body={"set_paid": True, "transaction_id": reference}
            )
            done.append("marked paid")
        elif order["status"] == "on-hold":
            api.call(
                "PUT",
                f"orders/{order_id}",
                body={"status": "processing", "transaction_id": reference},
            )
            done.append("moved to processing")
        else:
            done.append(f"not marked paid (the store says {order['status']})")
        link = payment_url(self.settings.base_url, invoice.link_code)
        amount = Money(invoice.amount_paid, invoice.currency)
        note = f"Paylink: invoice {invoice.number}, {amount} paid ({reference}). {link}"
        _, notes = api.call("GET", f"orders/{order_id}/notes")
        if not any(note == existing.get("note") for existing in notes or []):
            api.call(
                "POST", f"orders/{order_id}/notes", body={"note": note, "customer_note": False}
            )
            done.append("noted")
        return "; ".join(done)

    # Webhooks and polling -----------------------------------------------------------------

    def setup_store(self, ctx: ServiceContext, store: Store) -> str:
        """Our two webhooks on the store, active and signed with our secret: created when
        missing, repaired (re-activated, secret set again) when the store has them."""
        api = self.api(ctx, store)
        secret = accounts.store_credentials(ctx, store)["webhook_secret"]
        delivery = f"{self.settings.base_url}/connectors/woocommerce/webhooks/{store.id}"
        _, existing = api.call("GET", "webhooks", params={"per_page": 100})
        ours = {
            hook["topic"]: hook for hook in existing or [] if hook.get("delivery_url") == delivery
        }
        done = []
        for topic in TOPICS:
            wanted = {"status": "active", "secret": secret}
            hook = ours.get(topic)
            if hook is None:
                api.call(
                    "POST",
                    "webhooks",
                    body={
                        "name": f"Paylink {topic}",
                        "topic": topic,
                        "delivery_url": delivery,
                        **wanted,
                    },
                )
                done.append(f"{topic} created")
            elif hook.get("status") != "active" or not store.webhooks_ready:
                api.call("PUT", f"webhooks/{hook['id']}", body=wanted)
                done.append(f"{topic} re-enabled")
        accounts.mark_webhooks_ready(ctx, store.id)
        return "; ".join(done) or "webhooks in place"

    def poll(self, ctx: ServiceContext, store: Store) -> str:
        """Orders changed since the last poll, applied like webhooks (what a lost delivery
        missed is caught here); the webhooks are checked on the way."""
        hooks = self.setup_store(ctx, store)
        started = ctx.clock()
        since = store.polled_until - POLL_OVERLAP if store.polled_until else started - FIRST_POLL
        api, applied, refused, page = self.api(ctx, store), 0, [], 1
        while True:
            _, orders = api.call(
                "GET",
                "orders",
                params={
                    "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                    "dates_are_gmt": "true",
                    "per_page": POLL_PAGE,
                    "page": page,
                    "orderby": "id",
                    "order": "asc",
                },
            )
            for order in orders or []:
                try:
                    self.apply(ctx, store, order)
                    applied += 1
                except UnusablePayload as error:  # one unusable order stops no other
                    refused.append(f"{order.get('id')}: {error}")
            if len(orders or []) < POLL_PAGE:
                break
            page += 1
        accounts.record_poll(ctx, store.id, started)
        unusable = f"; unusable: {' | '.join(refused)}" if refused else ""
        return f"{applied} orders applied{unusable}; {hooks}"

    def embedded_sign_in(self, ctx: ServiceContext, request: Request) -> EmbeddedSignIn | None:
        return None  # WooCommerce's admin does not frame apps
