"""The Shopify connector as the core sees it (core/connector.py): built when the app's client id
and secret are set, a blueprint for its webhooks, and the store events turned into use cases."""

from __future__ import annotations

import json
from typing import ClassVar

from flask import Blueprint

from connectors.shopify.mapping import order_invoice
from connectors.shopify.web import create_shopify_blueprint
from core.errors import ValidationError
from core.jobs import PermanentJobError
from core.services import accounts, invoicing
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.models import Store, StoreEvent

#: The payment gateways whose orders get an invoice when the merchant has not chosen: a manual
#: payment method named "Paylink" (set up in Shopify's payment settings), as the README says.
DEFAULT_INVOICE_GATEWAYS = ("Paylink",)


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyConnector | None:
        if not (settings.shopify_client_id and settings.shopify_client_secrets):
            return None
        return cls(settings)

    def blueprint(self) -> Blueprint:
        return create_shopify_blueprint(self.settings)

    def process_event(self, ctx: ServiceContext, store: Store, event: StoreEvent) -> str:
        if event.topic == "app/uninstalled":
            accounts.disconnect_store(ctx, store.id)
            return "store disconnected"
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
