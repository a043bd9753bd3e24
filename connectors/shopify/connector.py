"""The Shopify connector as the core sees it (core/connector.py): built when the app's client id
and secret are set, a blueprint for its webhooks, and the store events turned into use cases."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from flask import Blueprint, Request

from connectors.shopify import embedded, graphql
from connectors.shopify.app_credentials import ShopifyApp
from connectors.shopify.checkouts import (
    CART_TOPICS,
    checkout_invoice,
    checkout_seen,
    draft_order_input,
    draft_tags,
)
from connectors.shopify.graphql import ShopifyAdmin
from connectors.shopify.mapping import COMPLIANCE_TOPICS, order_invoice
from connectors.shopify.web import create_shopify_blueprint
from core.connector import ConnectForm, EmbeddedSignIn
from core.errors import MALFORMED_PAYLOAD, AccessRevoked, Throttled, UnusablePayload
from core.events import InvoiceRequested, SourceKind
from core.http import http_session
from core.invoices import InvoiceStatus
from core.links import payment_url
from core.money import Money
from core.services import accounts, carts, invoicing, privacy
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.models import Invoice, Store, StoreCart, StoreEvent

#: The payment gateways whose orders get an invoice when the merchant has not chosen: a manual
#: payment method named "Paylink" (set up in Shopify's payment settings), as the README says.
DEFAULT_INVOICE_GATEWAYS = ("Paylink",)


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        endpoint="shopify.install",
        field="shop",
        title={"fr": "Connecter une boutique Shopify", "en": "Connect a Shopify store"},
        label={
            "fr": "Adresse de la boutique (.myshopify.com)",
            "en": "Store address (.myshopify.com)",
        },
        placeholder="boutique.myshopify.com",
    )
    #: Shopify retries a failed delivery 8 times over 4 hours: its webhooks are not polled.
    polls: ClassVar[bool] = False
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_GATEWAYS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = http_session()

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyConnector | None:
        if ShopifyApp.of(settings) is None:
            return None
        return cls(settings)

    def admin(self, ctx: ServiceContext, store: Store) -> ShopifyAdmin:
        token = str(accounts.store_credentials(ctx, store).get("access_token", ""))
        if not token:
            raise AccessRevoked(f"{store.domain} has no access token: reinstall the app")
        return ShopifyAdmin(
            store.domain,
            token,
            self.session,
            self.settings.provider_api_bases.get("shopify"),
        )

    def blueprint(self) -> Blueprint:
        return create_shopify_blueprint(self.settings)

    def process_event(self, ctx: ServiceContext, store: Store, event: StoreEvent) -> str:
        if event.topic == "app/uninstalled":
            connected = store.connected_at
            if event.triggered_at and connected and event.triggered_at < connected:
                # A retry of an uninstall older than the latest install (Shopify retries for
                # 4 hours, X-Shopify-Triggered-At says when it happened): not applied.
                return "stale: the app was installed again after this uninstall"
            accounts.disconnect_store(ctx, store.id)
            return "store disconnected"
        if event.topic in COMPLIANCE_TOPICS:
            return self._privacy(ctx, store, event)
        if event.topic in CART_TOPICS:
            try:
                seen = checkout_seen(event.body)
            except MALFORMED_PAYLOAD as error:
                raise UnusablePayload(f"{event.topic} not usable: {error}") from error
            return carts.cart_seen(ctx, store, seen)
        if event.topic != "orders/create":
            return f"ignored ({event.topic})"
        gateways = store.invoice_gateways or DEFAULT_INVOICE_GATEWAYS
        try:
            order = json.loads(event.body)
            request = order_invoice(order, store.id, gateways)
        except MALFORMED_PAYLOAD as error:
            # Signed by Shopify but not an order we can invoice: kept, visible, not retried.
            raise UnusablePayload(f"orders/create not usable: {error}") from error
        done = []
        if order.get("checkout_token"):
            order_ref = str(order.get("admin_graphql_api_id") or order.get("id"))
            done.append(carts.cart_ordered(ctx, store, str(order["checkout_token"]), order_ref))
        if request is None:
            done.append("no invoice needed (paid, or another payment gateway)")
        else:
            invoice, created = invoicing.create_invoice(ctx, store.merchant_id, request)
            done.append(f"invoice {invoice.number}" + ("" if created else " (already made)"))
        return "; ".join(done)

    def setup_store(self, ctx: ServiceContext, store: Store) -> str:
        return "nothing to set up: the webhooks are declared in shopify.app.toml"

    def poll(self, ctx: ServiceContext, store: Store) -> str:
        return "not polled"

    def embedded_sign_in(self, ctx: ServiceContext, request: Request) -> EmbeddedSignIn | None:
        return embedded.sign_in(ctx, self.settings, request)

    def cart_invoice(self, store: Store, body: str) -> InvoiceRequested | None:
        return checkout_invoice(body, store.id)

    def create_order_from_cart(
        self, ctx: ServiceContext, store: Store, cart: StoreCart, body: str, invoice: Invoice
    ) -> str:
        """A draft order from the checkout, then completed (Shopify marks it paid), so the
        merchant sees a real paid order. The draft's id is kept as soon as it exists, and a
        draft made by an attempt that crashed before keeping it is found by its tag; a draft
        whose total differs from what the customer paid is left for the merchant to check."""
        admin = self.admin(ctx, store)
        link = payment_url(self.settings.base_url, invoice.link_code)
        if cart.created_ref:
            draft = admin.execute(graphql.DRAFT_ORDER_STATE, {"id": cart.created_ref})["draftOrder"]
        else:
            tag = draft_tags(invoice.number)[-1]
            found = admin.execute(graphql.DRAFT_ORDERS_TAGGED, {"query": f"tag:'{tag}'"})
            nodes = found["draftOrders"]["nodes"]
            draft = nodes[0] if nodes else None
            if draft is None:
                made = admin.execute(
                    graphql.DRAFT_ORDER_CREATE,
                    {"input": draft_order_input(body, invoice.number, link)},
                )["draftOrderCreate"]
                if made.get("userErrors") or not made.get("draftOrder"):
                    return _outcome("draft order", made)
                draft = made["draftOrder"]
            carts.record_created(ctx, cart.id, draft["id"])
        if draft is None:
            return f"draft order {cart.created_ref} is gone from the store: no order made"
        if draft.get("order"):
            carts.record_recovered(ctx, cart.id, draft["order"]["id"])
            return f"order {draft['order']['name']} made from draft {draft['name']}"
        if not draft.get("ready"):
            raise Throttled(f"draft order {draft['name']} is still being calculated", 2.0)
        amount = draft["totalPriceSet"]["presentmentMoney"]
        shopify_total = Money.parse(str(amount["amount"]), str(amount["currencyCode"]))
        paid = Money(invoice.amount_paid, invoice.currency)
        if shopify_total != paid:
            return (
                f"draft order {draft['name']} totals {shopify_total} but the customer paid "
                f"{paid}: left as a draft for you to check"
            )
        completed = admin.execute(graphql.DRAFT_ORDER_COMPLETE, {"id": draft["id"]})[
            "draftOrderComplete"
        ]
        order = (completed.get("draftOrder") or {}).get("order")
        if completed.get("userErrors") or not order:
            return _outcome("draft order completion", completed)
        carts.record_recovered(ctx, cart.id, order["id"])
        return f"order {order['name']} made from draft {draft['name']}, paid"

    def _privacy(self, ctx: ServiceContext, store: Store, event: StoreEvent) -> str:
        """customers/redact and shop/redact erase personal data (amounts stay for the books);
        customers/data_request marks the customer's invoices for the merchant to answer."""
        try:
            body = json.loads(event.body)
            customer = body.get("customer") or {}
            if event.topic == "shop/redact":
                return f"erased {privacy.erase_store(ctx, store.id)} invoices"
            orders = [
                str(o)
                for o in body.get(
                    "orders_to_redact" if event.topic == "customers/redact" else "orders_requested"
                )
                or []
            ]
        except (ValueError, AttributeError, TypeError) as error:
            raise UnusablePayload(f"{event.topic} not usable: {error}") from error
        email, phone = customer.get("email"), customer.get("phone")
        if event.topic == "customers/redact":
            return f"erased {privacy.erase_customer(ctx, store.id, orders, email, phone)} invoices"
        found = privacy.customer_invoices(ctx, store.id, orders, email, phone)
        with ctx.db.transaction() as session:
            for invoice in found:
                ctx.record(
                    session,
                    invoice.id,
                    "data_requested",
                    request=str((body.get("data_request") or {}).get("id", "")),
                )
        return f"data request: {len(found)} invoices (marked on their timelines)"

    def push_payment(self, ctx: ServiceContext, store: Store, invoice: Invoice) -> str:
        """A paid invoice marks its order paid (when Shopify says it can be), tags it and
        notes the invoice on it; a partly paid one gets the note and a tag. Each step is
        idempotent, so a retry after a crash repeats nothing harmful."""
        if invoice.source_kind != SourceKind.ORDER.value or not invoice.external_id:
            return "not an order: nothing to push"
        admin = self.admin(ctx, store)
        order_id = f"gid://shopify/Order/{invoice.external_id}"
        link = payment_url(self.settings.base_url, invoice.link_code)
        done = []
        if invoice.status == InvoiceStatus.PAID:
            order = admin.execute(graphql.ORDER_PAYMENT_STATE, {"id": order_id}).get("order")
            if order is None:
                return "order not found in the store"
            if order.get("canMarkAsPaid"):
                marked = admin.execute(graphql.ORDER_MARK_AS_PAID, {"input": {"id": order_id}})
                done.append(_outcome("marked paid", marked["orderMarkAsPaid"]))
            else:
                done.append(f"not marked paid (Shopify: {order.get('displayFinancialStatus')})")
        tag = "paylink-paid" if invoice.status == InvoiceStatus.PAID else "paylink-partly-paid"
        tagged = admin.execute(graphql.TAGS_ADD, {"id": order_id, "tags": ["paylink", tag]})
        done.append(_outcome("tagged", tagged["tagsAdd"]))
        metafields = [
            _metafield(order_id, "invoice_number", invoice.number, "single_line_text_field"),
            _metafield(order_id, "payment_link", link, "url"),
            _metafield(order_id, "amount_paid", str(invoice.amount_paid), "number_integer"),
        ]
        noted = admin.execute(graphql.METAFIELDS_SET, {"metafields": metafields})
        done.append(_outcome("noted", noted["metafieldsSet"]))
        return "; ".join(done)


def _metafield(owner: str, key: str, value: str, kind: str) -> dict[str, str]:
    return {"ownerId": owner, "namespace": "paylink", "key": key, "value": value, "type": kind}


def _outcome(action: str, payload: dict[str, Any]) -> str:
    """What a mutation did; its userErrors are kept, word for word, for the timeline."""
    errors = payload.get("userErrors") or []
    if not errors:
        return action
    return f"{action} refused: " + "; ".join(str(e.get("message")) for e in errors)
