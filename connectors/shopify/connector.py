"""The Shopify connector as the core sees it (core/connector.py): built when the app's client id
and secret are set, a blueprint for its webhooks, and the store events turned into use cases."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from flask import Blueprint

from connectors.shopify import graphql
from connectors.shopify.graphql import ShopifyAdmin
from connectors.shopify.mapping import COMPLIANCE_TOPICS, order_invoice
from connectors.shopify.web import create_shopify_blueprint
from core.errors import ValidationError
from core.events import SourceKind
from core.http import http_session
from core.invoices import InvoiceStatus
from core.jobs import PermanentJobError
from core.services import accounts, invoicing, privacy
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.models import Invoice, Store, StoreEvent

#: The payment gateways whose orders get an invoice when the merchant has not chosen: a manual
#: payment method named "Paylink" (set up in Shopify's payment settings), as the README says.
DEFAULT_INVOICE_GATEWAYS = ("Paylink",)


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = http_session()

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyConnector | None:
        if not (settings.shopify_client_id and settings.shopify_client_secrets):
            return None
        return cls(settings)

    def admin(self, ctx: ServiceContext, store: Store) -> ShopifyAdmin:
        token = str(accounts.store_credentials(ctx, store).get("access_token", ""))
        if not token:
            raise PermanentJobError(f"{store.domain} has no access token: reinstall the app")
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
            accounts.disconnect_store(ctx, store.id)
            return "store disconnected"
        if event.topic in COMPLIANCE_TOPICS:
            return self._privacy(ctx, store, event)
        if event.topic != "orders/create":
            return f"ignored ({event.topic})"
        gateways = accounts.store_credentials(ctx, store).get(
            "invoice_gateways", DEFAULT_INVOICE_GATEWAYS
        )
        try:
            request = order_invoice(json.loads(event.body), store.id, gateways)
        except (ValidationError, ValueError, KeyError, TypeError) as error:
            # Signed by Shopify but not an order we can invoice: kept, visible, not retried.
            raise PermanentJobError(f"orders/create not usable: {error}") from error
        if request is None:
            return "no invoice needed (paid, or another payment gateway)"
        invoice, created = invoicing.create_invoice(ctx, store.merchant_id, request)
        return f"invoice {invoice.number}" + ("" if created else " (already made)")

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
            raise PermanentJobError(f"{event.topic} not usable: {error}") from error
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
        link = f"{self.settings.base_url}/i/{invoice.link_code}"
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
