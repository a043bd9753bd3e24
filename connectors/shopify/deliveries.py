"""What a Shopify webhook delivery means to Paylink, pure: each topic Paylink subscribes to
(shopify.app.toml) as the store changes the core applies (core/store_changes.py). Nothing here
calls Shopify: every topic carries what Paylink needs."""

from __future__ import annotations

import json
from typing import Any

from connectors.shopify.checkouts import CART_TOPICS, checkout_seen
from connectors.shopify.mapping import COMPLIANCE_TOPICS, order_invoice
from core.errors import MALFORMED_PAYLOAD
from core.store_changes import (
    CartOrdered,
    CustomerDataRequested,
    CustomerErased,
    Delivery,
    Ignored,
    ShopErased,
    StoreChange,
    StoreRef,
    StoreUninstalled,
    Unusable,
)

#: The payment gateways whose orders get an invoice when the merchant has not chosen: a manual
#: payment method named "Paylink" (set up in Shopify's payment settings), as the README says.
DEFAULT_INVOICE_GATEWAYS = ("Paylink",)


def delivery_changes(store: StoreRef, delivery: Delivery) -> tuple[StoreChange, ...]:
    topic = delivery.topic
    try:
        if topic == "app/uninstalled":
            return (StoreUninstalled(delivery.triggered_at),)
        if topic in COMPLIANCE_TOPICS:
            return (_privacy(topic, json.loads(delivery.body)),)
        if topic in CART_TOPICS:
            return (checkout_seen(delivery.body),)
        if topic == "orders/create":
            return _order(store, json.loads(delivery.body))
    except MALFORMED_PAYLOAD as error:
        # Signed by Shopify but not what the topic promises: kept, visible, not retried.
        return (Unusable(f"{topic} not usable: {error}"),)
    return (Ignored(f"ignored ({topic})"),)


def _order(store: StoreRef, order: dict[str, Any]) -> tuple[StoreChange, ...]:
    """An order finishes the checkout it came from (so that cart's invoice, if any, is
    cancelled), and gets an invoice when it is still to pay through a chosen gateway."""
    request = order_invoice(order, store.id, store.invoice_gateways or DEFAULT_INVOICE_GATEWAYS)
    changes: list[StoreChange] = []
    if order.get("checkout_token"):
        order_ref = str(order.get("admin_graphql_api_id") or order["id"])
        changes.append(CartOrdered(str(order["checkout_token"]), order_ref))
    changes.append(request or Ignored("no invoice needed (paid, or another payment gateway)"))
    return tuple(changes)


def _privacy(topic: str, body: dict[str, Any]) -> StoreChange:
    """Shopify's mandatory privacy webhooks (honoured even after an uninstall)."""
    if topic == "shop/redact":
        return ShopErased()
    customer = body.get("customer") or {}
    email, phone = customer.get("email"), customer.get("phone")
    if topic == "customers/redact":
        orders = tuple(str(o) for o in body.get("orders_to_redact") or [])
        return CustomerErased(orders, email, phone)
    orders = tuple(str(o) for o in body.get("orders_requested") or [])
    request_id = str((body.get("data_request") or {}).get("id", ""))
    return CustomerDataRequested(orders, email, phone, request_id)
